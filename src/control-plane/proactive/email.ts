import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { createSmtpTransport, fromAddress, withoutCredentials, type SentInfo } from '../../common/smtp';
import type { Suggestion } from './proactive-engine';
import { DeliveryQueue, type AttemptOutcome, type Delivery, type ChannelOptions } from './delivery-queue';

/*
 * Proactive e-mail: suggestions sent as plain-text mail over SMTP (nodemailer) to the
 * addresses in PROACTIVE_EMAIL_TO as they are raised, change severity and resolve. Every mail
 * about one suggestion names the same thread (References / In-Reply-To), so a mail client shows
 * a raise, its updates and its resolve together. What the server refuses for the moment (4xx,
 * a connection that fails or times out) is retried; what it refuses for good (5xx, bad
 * credentials) is left to a later reading.
 */

export interface EmailOptions extends ChannelOptions {
  /** SMTP_URL: smtp:// or smtps://, credentials in it (never logged or answered). */
  url: string;
  /** SMTP_FROM: an address, or `Name <address>`. */
  from: string;
  /** PROACTIVE_EMAIL_TO: the recipients of every mail. */
  to: readonly string[];
  /** Connecting, the greeting and each answer, ms (default 10 s). */
  timeoutMs?: number;
}

/** PROACTIVE_EMAIL_TO: comma-separated addresses. */
export const emailRecipientsSchema = z
  .string()
  .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
  .pipe(z.array(z.email({ message: 'each recipient must be an e-mail address' })).min(1, 'must name at least one address').max(20, 'at most 20 addresses'));

const LABEL = { 'suggestion.raised': '', 'suggestion.updated': 'now ', 'suggestion.resolved': '' } as const;

/**
 * The thread every mail about one suggestion belongs to (an instance's own: with the instance, as
 * each has its own), in the sender's domain as Message-IDs are.
 */
export function threadId({ suggestion: s, local }: Delivery, instance: string, domain: string): string {
  const key = local ? `${s.id}@${instance}` : s.id;
  return `<suggestion.${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domain}>`;
}

export function emailSubject({ event, suggestion: s, local }: Delivery, instance: string): string {
  const where = local ? ` on ${instance}` : '';
  if (event === 'suggestion.resolved') return `[Jarvis] Resolved: ${s.title}${where}`;
  return `[Jarvis] ${LABEL[event]}${s.severity.toUpperCase()}: ${s.title}${where}`;
}

/** The figures behind a suggestion, one `name: value` line each. */
function signalLines(signal: Suggestion['signal']): string[] {
  return Object.entries(signal ?? {}).map(([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

export function emailText({ event, suggestion: s, local }: Delivery, instance: string): string {
  const lines =
    event === 'suggestion.resolved'
      ? [`Resolved: ${s.title}`, '', 'The signal cleared: nothing more to do about it.']
      : [s.title, '', `Severity: ${s.severity}${event === 'suggestion.updated' ? ' (changed)' : ''}`, '', s.message, '', `What to do: ${s.action}`];
  const signal = signalLines(s.signal);
  return [
    ...lines,
    '',
    `Suggestion: ${s.id}`,
    `Raised: ${s.raisedAt}${event === 'suggestion.raised' ? '' : `; updated ${s.updatedAt}`}`,
    `Sent by: ${instance}${local ? ' (about this control plane only)' : ''}`,
    ...(signal.length && event !== 'suggestion.resolved' ? ['', 'Figures:', ...signal] : []),
    '',
    '-- ',
    'Jarvis proactive suggestions. The dashboard and GET /api/v1/suggestions list what is active.',
    '',
  ].join('\n');
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  message: string;
}

export class EmailNotifier extends DeliveryQueue {
  readonly channel = 'email' as const;
  private readonly transport: ReturnType<typeof createSmtpTransport>;
  /** SMTP_FROM's domain: the right-hand side of the Message-IDs and thread references. */
  private readonly domain: string;

  constructor(
    private readonly options: EmailOptions,
    logger: Logger,
  ) {
    super(options, logger, 'proactive e-mail');
    this.transport = createSmtpTransport(options.url, options.timeoutMs ?? 10_000);
    this.domain = fromAddress(options.from)?.split('@')[1] ?? 'jarvis.invalid';
  }

  /** The server's host and port: never its credentials. */
  protected target(): string {
    return new URL(this.options.url).host;
  }

  /** The server without its credentials, the sender and the recipients. */
  protected destination(): string {
    const server = new URL(this.options.url);
    server.username = '';
    server.password = '';
    return JSON.stringify([server.href, this.options.from, [...this.options.to]]);
  }

  describe(): Record<string, unknown> {
    return { server: this.target(), from: this.options.from, recipients: [...this.options.to] };
  }

  protected prepare(delivery: Delivery): () => Promise<AttemptOutcome> {
    const thread = threadId(delivery, this.instance, this.domain);
    const mail = {
      subject: emailSubject(delivery, this.instance),
      text: emailText(delivery, this.instance),
      // One Message-ID for every attempt of this delivery: a server that took it before failing to answer can tell.
      messageId: `<${randomUUID()}@${this.domain}>`,
      inReplyTo: thread,
      references: [thread],
      headers: { 'X-Jarvis-Event': delivery.event, 'X-Jarvis-Suggestion': delivery.suggestion.id, 'X-Jarvis-Severity': delivery.suggestion.severity },
    };
    return async () => (await this.attempt(mail)).outcome;
  }

  /** Closes the SMTP connections after what is queued gave up or went out. */
  override async stop(): Promise<void> {
    await super.stop();
    this.transport.close();
  }

  /**
   * One test mail, now, without retries (POST /api/v1/suggestions/email/test): what the server
   * answered, so an operator can check the server, the credentials, the sender and the recipients.
   */
  async test(): Promise<{ delivered: boolean; server: string; recipients: string[]; rejected?: string[]; messageId?: string; reason?: string; ms: number }> {
    const started = performance.now();
    const { outcome, rejected, messageId } = await this.attempt({
      subject: `[Jarvis] E-mail test from ${this.instance}`,
      text: `Jarvis proactive e-mail works: suggestions of severity ${this.minSeverity} and above will arrive at ${this.options.to.join(', ')}.\n\nSent by: ${this.instance}\n`,
      headers: { 'X-Jarvis-Event': 'email.test' },
    });
    return {
      delivered: outcome.ok,
      server: this.target(),
      recipients: [...this.options.to],
      ...(rejected?.length ? { rejected } : {}),
      ...(messageId ? { messageId } : {}),
      ...(outcome.ok ? {} : { reason: outcome.reason }),
      ms: Math.round(performance.now() - started),
    };
  }

  /**
   * One SMTP transaction to every recipient. Delivered once the server took it for at least one
   * of them (sending again would repeat it to those): the others are logged.
   */
  private async attempt(mail: { subject: string; text: string; messageId?: string; inReplyTo?: string; references?: string[]; headers: Record<string, string> }): Promise<{ outcome: AttemptOutcome; rejected?: string[]; messageId?: string }> {
    if (this.stopping.signal.aborted) return { outcome: { ok: false, reason: 'stopped before it was sent', retry: false } };
    try {
      const info = (await this.transport.sendMail({ from: this.options.from, to: [...this.options.to], ...mail })) as SentInfo;
      const rejected = info.rejected.map((r) => (typeof r === 'string' ? r : r.address));
      if (!info.accepted.length) return { outcome: { ok: false, reason: `the SMTP server refused every recipient: ${info.response}`, retry: false }, rejected };
      if (rejected.length) this.logger.warn('proactive e-mail: the SMTP server refused some recipients', { rejected, response: info.response });
      return { outcome: { ok: true, reason: '', retry: false }, rejected, messageId: info.messageId };
    } catch (err) {
      const e = err as SmtpError;
      const reason = withoutCredentials(e.responseCode ? `SMTP ${e.responseCode}: ${e.message}` : `${e.code ?? 'error'}: ${e.message}`, this.options.url).slice(0, 500);
      // 4xx and connection trouble may pass; 5xx and refused credentials will not.
      const retry = e.responseCode !== undefined ? e.responseCode < 500 : e.code !== 'EAUTH' && e.code !== 'EENVELOPE' && e.code !== 'EMESSAGE';
      return { outcome: { ok: false, ...(e.responseCode ? { status: e.responseCode } : {}), reason, retry } };
    }
  }
}
