import { t } from "../cli/i18n/index.js";
import { fail, pass, type CheckRow } from "./report.js";

/** A URL on this computer: http is fine there (local checks, tests), ChatGPT never calls it. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** ChatGPT only calls https URLs; a loopback http URL is accepted for local checks and says so. */
export function httpsCheck(url: URL): CheckRow {
  const name = "https";
  if (url.protocol === "https:") return pass(name, t("vfy.https", { origin: url.origin }));
  if (url.protocol === "http:" && isLoopbackUrl(url)) return pass(name, t("vfy.loopbackHttp"));
  return fail(name, t("vfy.notHttps", { origin: url.origin }), t("vfy.notHttpsFix"));
}
