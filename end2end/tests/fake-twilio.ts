import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { createHmac, randomBytes } from "node:crypto";

export const ACCOUNT = "AC00000000000000000000000000000e2e";
export const TOKEN = "e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2";
export const NUMBER = "+15005550006";

/** A text the REST API accepted: its sid and its form fields. */
export type Sent = { sid: string; fields: URLSearchParams };

/** Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL then each field's name and value,
 * sorted by name (a name's values sorted, each once). */
export function sign(token: string, url: string, fields: [string, string][]): string {
  const byName = new Map<string, Set<string>>();
  for (const [n, v] of fields) byName.set(n, (byName.get(n) ?? new Set()).add(v));
  let text = url;
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...byName.get(name)!].sort()) text += name + value;
  }
  return createHmac("sha1", token).update(text, "utf8").digest("base64");
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => done(text));
  });
}

/** Twilio on loopback: the Messages REST API (Basic auth, Twilio's error bodies) and the
 * sender of signed texts and delivery reports. */
export class FakeTwilio {
  sent: Sent[] = [];
  private constructor(private server: Server, readonly base: string) {}

  static async start(): Promise<FakeTwilio> {
    let fake: FakeTwilio;
    const server = createServer(async (req, res) => {
      const text = await body(req);
      const expected = "Basic " + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64");
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method !== "POST" || req.url !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`) {
        return json(404, { code: 20404, message: "The requested resource was not found", status: 404 });
      }
      if (req.headers.authorization !== expected) {
        return json(401, { code: 20003, message: "Authenticate", status: 401 });
      }
      const fields = new URLSearchParams(text);
      if (!fields.get("To")) return json(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
      const sid = "SM" + randomBytes(16).toString("hex");
      fake.sent.push({ sid, fields });
      json(201, { sid, status: "queued", to: fields.get("To"), from: fields.get("From"), body: fields.get("Body") });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;
    fake = new FakeTwilio(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  close() {
    this.server.close();
  }

  /** Texts `body` from `from` to the channel's inbound URL, signed with `token`. */
  async text(url: string, from: string, body: string, token = TOKEN, sid = "SM" + randomBytes(16).toString("hex")): Promise<Response> {
    const fields: [string, string][] = [
      ["MessageSid", sid],
      ["SmsSid", sid],
      ["AccountSid", ACCOUNT],
      ["From", from],
      ["To", NUMBER],
      ["Body", body],
      ["NumMedia", "0"],
      ["NumSegments", "1"],
      ["ApiVersion", "2010-04-01"],
      ["FromCountry", "US"],
    ];
    return this.post(url, fields, token);
  }

  /** Reports a sent text's status to the StatusCallback it was sent with, signed. */
  async report(sent: Sent, status: string): Promise<Response> {
    const fields: [string, string][] = [
      ["MessageSid", sent.sid],
      ["MessageStatus", status],
      ["AccountSid", ACCOUNT],
      ["From", sent.fields.get("From") ?? ""],
      ["To", sent.fields.get("To") ?? ""],
    ];
    return this.post(sent.fields.get("StatusCallback")!, fields, TOKEN);
  }

  private post(url: string, fields: [string, string][], token: string): Promise<Response> {
    return fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sign(token, url, fields) },
      body: new URLSearchParams(fields).toString(),
    });
  }
}
