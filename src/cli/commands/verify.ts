import type { Command } from "commander";

// PLACEHOLDER: the issue that implements `verify` replaces this file.
export function register(_program: Command): void {}
