/** A fetch() answer read once: status, headers, raw text, and the JSON when the text is JSON. */
export interface JsonReply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function readReply(response: Response): Promise<JsonReply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
