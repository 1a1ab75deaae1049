/**
 * A click after validation and normalisation (SPEC A1): the timestamp is epoch milliseconds UTC
 * and the country upper-case. Field names follow the wire format's meaning in camelCase.
 */
export interface ClickEvent {
  clickId: string;
  adId: string;
  /** Event time, epoch milliseconds UTC. */
  timestampMs: number;
  userId: string;
  ip: string;
  /** ISO 3166-1 alpha-2, upper-case. */
  country: string;
}

/** A rejected event: which field broke which rule, in words a producer can act on. */
export interface ClickRejection {
  /** The offending field, or `null` when the event as a whole is unreadable. */
  field: keyof WireClick | null;
  reason: string;
}

export type ClickValidation = { ok: true; event: ClickEvent } | { ok: false; rejection: ClickRejection };

/** The wire format of SPEC A1 (what producers send). */
export interface WireClick {
  click_id: string;
  ad_id: string;
  click_timestamp: number | string;
  user_id: string;
  ip: string;
  country: string;
}
