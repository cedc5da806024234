export { ProactiveEngine, type ListedSuggestion, type ProactiveOptions, type Suggestion, type SuggestionEvent, type SuggestionSink } from './proactive-engine';
export { isQuiet, quietHoursSchema, timeZoneSchema, type QuietHours } from './quiet-hours';
export { SEVERITIES, SUGGESTION_KINDS, type Severity, type SignalSources, type SignalThresholds, type SuggestionKind } from './signals';
export { dawgMonitoring, type MonitoringReading, type MonitoringSource } from './monitoring-signal';
export { AdaptiveFeedback, type AdaptiveOptions, type SubjectFeedback } from './adaptive';
export { WebhookNotifier, WEBHOOK_FORMATS, signature as webhookSignature, slackText, type WebhookFormat, type WebhookOptions } from './webhook';
export { EmailNotifier, emailRecipientsSchema, emailSubject, emailText, type EmailOptions } from './email';
