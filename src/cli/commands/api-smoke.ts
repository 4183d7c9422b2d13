import type { Command } from "commander";

// PLACEHOLDER: the issue that implements `api-smoke` replaces this file.
export function register(_program: Command): void {}
