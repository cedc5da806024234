import nodemailer from 'nodemailer';
import { z } from 'zod';
import { envOptional } from './env';

/*
 * SMTP as both services send e-mail (nodemailer): the DAWG's campaign channel "email" and the
 * control plane's proactive e-mail. One URL (credentials in it) and one sender, the same
 * variables in both services.
 */

/** SMTP_URL: smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start). */
export const smtpUrlSchema = envOptional(
  z.url({ message: 'must be a URL such as smtp://user:password@mail.example.com:587' }).refine((u) => ['smtp:', 'smtps:'].includes(new URL(u).protocol), 'must be an smtp:// or smtps:// URL'),
);
export const smtpFromSchema = envOptional(z.string().trim().min(3).max(320));

/** The address of a sender written alone or as `Name <address>`; undefined when it is not one. */
export function fromAddress(from: string): string | undefined {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return z.email().safeParse(address.trim()).success ? address.trim() : undefined;
}

/** The checks SMTP_URL and SMTP_FROM need together, for a config schema's superRefine. */
export function checkSmtpPair(e: { SMTP_URL?: string | undefined; SMTP_FROM?: string | undefined }, ctx: z.RefinementCtx, purpose: string): void {
  if (e.SMTP_URL && !e.SMTP_FROM) ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: `is required with SMTP_URL: the sender of ${purpose}, e.g. "Jarvis <news@example.com>"` });
  if (e.SMTP_FROM && !e.SMTP_URL) ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: `is required with SMTP_FROM: the SMTP server that sends ${purpose}` });
  if (e.SMTP_FROM && !fromAddress(e.SMTP_FROM)) ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'must be an e-mail address, alone or as "Name <address>"' });
}

/** What nodemailer's SMTP transport answers for a message it handed over. */
export interface SentInfo {
  messageId: string;
  accepted: Array<string | { address: string }>;
  rejected: Array<string | { address: string }>;
  response: string;
}

/** A transport with one timeout for connecting, the greeting and each answer; messages may pull in no file and no URL. */
export function createSmtpTransport(url: string, timeoutMs: number) {
  return nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

/** A message with the URL's password taken out, should a library ever echo it. */
export function withoutCredentials(message: string, url: string): string {
  const { password } = new URL(url);
  let out = message;
  for (const secret of new Set([password, decodeURIComponent(password)])) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}
