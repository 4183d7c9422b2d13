import { z } from "zod";

/** A registered workspace: a name the GPT uses and an absolute folder. */
export const WorkspaceEntry = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "workspace names use letters, digits, . _ - (1-64 chars)"),
  path: z.string().refine((p) => p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p), "must be an absolute path"),
});
export type WorkspaceEntry = z.infer<typeof WorkspaceEntry>;

export const AccessConfig = z.object({
  /** ISO time after which POST actions answer 403; null = no expiry (the brief's default). */
  expires_at: z.string().datetime().nullable().default(null),
  /** Set by `channel revoke` / `access revoke`; cleared only by `channel renew` / `access grant`. */
  revoked_at: z.string().datetime().nullable().default(null),
  granted_at: z.string().datetime().nullable().default(null),
});
export type AccessConfig = z.infer<typeof AccessConfig>;

export const ServerConfig = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8766),
  body_limit_bytes: z.number().int().min(1024).default(2 * 1024 * 1024),
  /** Origins allowed to call (browser callers); ChatGPT's servers send no Origin. */
  allowed_origins: z.array(z.string()).default([]),
  /** Failed bearer attempts per client and minute before 429. */
  auth_fail_limit: z.number().int().min(1).max(50).default(20),
});

function isValidRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const PolicyConfig = z.object({
  /** Extra deny rules: { name, pattern } where pattern is a regular expression over the command text. */
  deny: z
    .array(
      z.object({
        name: z.string().min(1),
        pattern: z.string().refine(isValidRegExp, "not a valid regular expression"),
      }),
    )
    .default([]),
  /** Explicit allows: exact command texts (after trimming) that skip the default rules. */
  allow: z.array(z.string()).default([]),
});

export const TunnelConfig = z.object({
  provider: z.enum(["cloudflared", "ngrok", "custom", "none"]).optional(),
  cloudflared_path: z.string().optional(),
  /** Named cloudflared tunnel: token file path (never the token itself in logs). */
  cloudflared_token_file: z.string().optional(),
  hostname: z.string().optional(),
  ngrok_domain: z.string().optional(),
}).default({});

/** The owner's dashboard: its own loopback listener (never the port a tunnel forwards to). */
export const DashboardConfig = z.object({
  enabled: z.boolean().default(true),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(8767),
}).default({ enabled: true, port: 8767 });

/** Who approves commands: ChatGPT's own prompt (default) or the owner on this computer. */
export const ApprovalsConfig = z.object({
  commands: z.enum(["chatgpt", "local"]).default("chatgpt"),
}).default({ commands: "chatgpt" });
/** The OS sandbox for commands (API contract §9); see docs/sandbox.md. */
export const SandboxConfig = z
  .object({
    mode: z.enum(["auto", "required", "off"]).default("auto"),
    /** off · ask (per call, `network: true`) · allowlist (allow_hosts without asking; `network: true` for the rest) · on (the host's own network, weaker). */
    network: z.enum(["ask", "on", "off", "allowlist"]).default("ask"),
    /** Hosts commands may reach without `network: true` under network "allowlist" (`host`, `*.domain`); extends the package managers' configured registries. */
    allow_hosts: z.array(z.string().min(1).max(253)).default([]),
    /** Ports of this computer's loopback a command with network may reach through the proxy (a local registry, a database). */
    allow_local_ports: z.array(z.number().int().min(1).max(65535)).default([]),
    /** Commands of one workspace share one long-lived sandbox (loopback, processes, /tmp, caches); false: a fresh sandbox per command. */
    box: z.boolean().default(true),
    /** A box with no command running ends after this many minutes without a new command. */
    box_idle_minutes: z.number().int().min(1).max(10_080).default(30),
    /** More paths replaced by empty mounts: absolute, `~/…`, or relative to the workspace. */
    hide: z.array(z.string().min(1)).default([]),
    /** Size cap of the private /tmp and /dev/shm, each (MiB). */
    tmp_size_mb: z.number().int().min(1).max(1_048_576).default(1024),
    /** Processes and threads one command may hold at once (RLIMIT_NPROC; not enforced by the kernel for root). */
    max_processes: z.number().int().min(16).max(1_000_000).default(2048),
  })
  .default({ mode: "auto", network: "ask", allow_hosts: [], allow_local_ports: [], box: true, box_idle_minutes: 30, hide: [], tmp_size_mb: 1024, max_processes: 2048 });
/** Checkpoints before every change (src/checkpoints/, docs/checkpoints.md). */
export const CheckpointsConfig = z.object({
  enabled: z.boolean().default(true),
  /** Files above this size are not stored (listed as skipped; a restore never touches them). */
  max_file_bytes: z.number().int().min(0).default(5 * 1024 * 1024),
  /** Keep the newest N checkpoints per workspace… */
  keep_count: z.number().int().min(1).max(100_000).default(500),
  /** …and none older than this many days (the newest one always stays). */
  keep_days: z.number().min(0).max(3650).default(14),
});
/** The ChatGPT connector's OAuth server (API-CONTRACT §11). */
export const DEFAULT_REDIRECT_ALLOW = [
  "https://chatgpt.com/connector/oauth/*",
  "https://chatgpt.com/connector_platform_oauth_redirect",
  "http://127.0.0.1:*",
  "http://localhost:*",
];
export const OAuthConfig = z
  .object({
    /** Redirect URIs a client may register: exact URIs, or a prefix ending in `/*`, or `http://host:*` for any port. */
    redirect_allow: z.array(z.string()).default(DEFAULT_REDIRECT_ALLOW),
    access_token_seconds: z.number().int().min(1).max(86_400).default(1800),
    code_seconds: z.number().int().min(1).max(600).default(60),
  })
  .default({ redirect_allow: DEFAULT_REDIRECT_ALLOW, access_token_seconds: 1800, code_seconds: 60 });

export const ConfigSchema = z.object({
  version: z.literal(1).default(1),
  token: z.string().regex(/^[A-Za-z0-9_-]{43,}$/, "token must be 43+ URL-safe characters"),
  public_base_url: z.string().url().nullable().default(null),
  workspaces: z.array(WorkspaceEntry).default([]),
  active_workspace: z.string().nullable().default(null),
  access: AccessConfig.default({ expires_at: null, revoked_at: null, granted_at: null }),
  server: ServerConfig.default({
    host: "127.0.0.1",
    port: 8766,
    body_limit_bytes: 2 * 1024 * 1024,
    allowed_origins: [],
    auth_fail_limit: 20,
  }),
  /** Per-action override of x-openai-isConsequential (true = ChatGPT asks every time). */
  consequential: z.record(z.string(), z.boolean()).default({}),
  policy: PolicyConfig.default({ deny: [], allow: [] }),
  tunnel: TunnelConfig,
  dashboard: DashboardConfig,
  approvals: ApprovalsConfig,
  sandbox: SandboxConfig,
  checkpoints: CheckpointsConfig.default({ enabled: true, max_file_bytes: 5 * 1024 * 1024, keep_count: 500, keep_days: 14 }),
  oauth: OAuthConfig,
});

export type Config = z.infer<typeof ConfigSchema>;
