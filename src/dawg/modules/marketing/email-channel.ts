import { z } from 'zod';
import { createSmtpTransport, withoutCredentials, type SentInfo } from '../../../common/smtp';
import type { MessageChannel } from './message-channel';

export interface EmailChannelOptions {
  /** smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start), credentials in the URL. */
  url: string;
  /** The sender: an address, or `Name <address>`. */
  from: string;
  /** Connecting, the server's greeting and each wait for an answer, ms. */
  timeoutMs?: number;
}

const recipient = z.email();

/**
 * Campaign messages as plain-text e-mail over SMTP (nodemailer). `send` resolves when the
 * server accepted the message for its recipient (the provider id is the Message-ID); a refusal,
 * a bad address or an unreachable server throws, which marks the message failed with why.
 * Errors never carry the URL's credentials.
 */
export function createEmailChannel(options: EmailChannelOptions): MessageChannel & { close(): void } {
  const timeout = options.timeoutMs ?? 30_000;
  const transport = createSmtpTransport(options.url, timeout);
  return {
    name: 'email',
    async send(msg) {
      if (!recipient.safeParse(msg.to).success) throw new Error(`"${msg.to}" is not an e-mail address`);
      let info: SentInfo;
      try {
        info = await transport.sendMail({
          from: options.from,
          to: msg.to,
          subject: msg.subject,
          text: msg.body,
          headers: { 'X-Jarvis-Campaign': msg.campaignId, 'X-Jarvis-Message': msg.messageId },
        });
      } catch (err) {
        throw new Error(`the SMTP server did not take the message: ${withoutCredentials((err as Error).message, options.url)}`);
      }
      if (info.rejected.length > 0 || info.accepted.length === 0) throw new Error(`the SMTP server refused ${msg.to}: ${info.response}`);
      return { providerId: info.messageId };
    },
    close: () => transport.close(),
  };
}
