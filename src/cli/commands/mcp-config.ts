import type { Command } from "commander";

// PLACEHOLDER: the issue that implements `mcp-config` replaces this file.
export function register(_program: Command): void {}
