import type { Command } from "commander";
import { register as access } from "./access.js";
import { register as apiSmoke } from "./api-smoke.js";
import { register as channel } from "./channel.js";
import { register as connector } from "./connector.js";
import { register as doctor } from "./doctor.js";
import { register as info } from "./info.js";
import { register as log } from "./log.js";
import { register as mcpConfig } from "./mcp-config.js";
import { register as serve } from "./serve.js";
import { register as token } from "./token.js";
import { register as tunnel } from "./tunnel.js";
import { register as verify } from "./verify.js";
import { register as workspace } from "./workspace.js";

/** Every CLI command group; each file registers its commands on the program. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  channel,
  serve,
  tunnel,
  apiSmoke,
  verify,
  info,
  access,
  token,
  workspace,
  doctor,
  log,
  mcpConfig,
  connector,
];
