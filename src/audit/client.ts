/**
 * Who called, in one word, for the audit line and the dashboard's feed:
 * "ChatGPT" for ChatGPT's servers, else the user agent's product name
 * (`curl`, `node`, …). Never the header verbatim: it is attacker-chosen text.
 */
export function clientLabel(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  if (/ChatGPT-User|OpenAI/i.test(userAgent)) return "ChatGPT";
  const product = /^([A-Za-z][A-Za-z0-9._-]{0,31})/.exec(userAgent.trim());
  return product?.[1];
}
