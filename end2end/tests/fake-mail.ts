import { createServer, Server, Socket } from "node:net";
import { AddressInfo } from "node:net";

/** One e-mail the sink took: its envelope and its raw data (headers unfolded in `header`). */
export type Received = { from: string; to: string[]; data: string };

/** The value of a header of a received e-mail (unfolded), or undefined. */
export function header(mail: Received, name: string): string | undefined {
  const head = mail.data.split(/\r\n\r\n/)[0].replace(/\r\n[ \t]+/g, " ");
  for (const line of head.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0 && line.slice(0, at).toLowerCase() === name.toLowerCase()) return line.slice(at + 1).trim();
  }
  return undefined;
}

/** A mail server on loopback that takes every e-mail (RFC 5321 without authentication) and
 * keeps it for the test to read. */
export class MailSink {
  mails: Received[] = [];
  private constructor(private server: Server, readonly port: number) {}

  static async start(): Promise<MailSink> {
    let sink: MailSink;
    const server = createServer((socket: Socket) => {
      let buffer = "";
      let inData = false;
      let data = "";
      let from = "";
      let to: string[] = [];
      socket.write("220 sink.test ESMTP\r\n");
      socket.on("data", (chunk) => {
        buffer += chunk.toString("latin1");
        let at: number;
        while ((at = buffer.indexOf("\r\n")) >= 0) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (inData) {
            if (line === ".") {
              inData = false;
              sink.mails.push({ from, to, data });
              socket.write("250 2.0.0 Queued\r\n");
            } else {
              data += (line.startsWith(".") ? line.slice(1) : line) + "\r\n";
            }
            continue;
          }
          const upper = line.toUpperCase();
          if (upper.startsWith("EHLO") || upper.startsWith("HELO")) socket.write("250-sink.test\r\n250 8BITMIME\r\n");
          else if (upper.startsWith("MAIL FROM:")) {
            from = line.slice(10).replace(/[<>]/g, "").trim();
            to = [];
            socket.write("250 2.1.0 OK\r\n");
          } else if (upper.startsWith("RCPT TO:")) {
            to.push(line.slice(8).replace(/[<>]/g, "").trim());
            socket.write("250 2.1.5 OK\r\n");
          } else if (upper === "DATA") {
            inData = true;
            data = "";
            socket.write("354 End data with <CR><LF>.<CR><LF>\r\n");
          } else if (upper === "QUIT") {
            socket.end("221 2.0.0 Bye\r\n");
          } else if (upper === "RSET" || upper === "NOOP") socket.write("250 2.0.0 OK\r\n");
          else socket.write("502 5.5.2 Command not recognised\r\n");
        }
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    sink = new MailSink(server, (server.address() as AddressInfo).port);
    return sink;
  }

  close() {
    this.server.close();
  }

  /** The e-mails to `to` so far. */
  to(to: string): Received[] {
    return this.mails.filter((m) => m.to.includes(to));
  }
}

/** An e-mail as a customer's mail program sends it. */
export function eml(from: string, to: string, subject: string, id: string, body: string, extra = ""): string {
  return (
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n` +
    `Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n${extra}` +
    `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`
  );
}
