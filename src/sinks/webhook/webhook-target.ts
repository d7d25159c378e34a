/**
 * Where a webhook sink posts, split for safe use: the URL fetch can take (fetch refuses
 * credentials inside a URL, so `user:password@` becomes an `Authorization: Basic` header) and
 * the form shown in logs and errors, which never carries credentials or query values.
 */
export interface WebhookTarget {
  readonly url: string;
  readonly display: string;
  readonly authorization?: string;
}

/** Builds the target of an http(s) URL that was already validated. */
export function webhookTarget(url: string): WebhookTarget {
  const parsed = new URL(url);
  const display = redactUrl(url);
  if (parsed.username === "" && parsed.password === "") return { url: parsed.href, display };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, display, authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` };
}

/**
 * A URL as logs may show it: userinfo becomes `***@` and every query value `***`, since
 * receivers often take their token there. The path is kept, as it is what identifies the
 * endpoint to the person reading the log.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(not a URL)";
  }
  const userinfo = parsed.username !== "" || parsed.password !== "" ? "***@" : "";
  const names = [...parsed.searchParams.keys()];
  const query = names.length > 0 ? `?${names.map((name) => `${encodeURIComponent(name)}=***`).join("&")}` : "";
  return `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query}`;
}
