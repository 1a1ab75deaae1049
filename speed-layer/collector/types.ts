/** One event of a request that was not accepted, and why (SPEC A2). */
export interface CollectorRejection {
  /** 0-based position in the request: array index, or line number of an NDJSON body. */
  index: number;
  /** The offending field, or `null` when the event as a whole is unreadable. */
  field: string | null;
  reason: string;
}

/** The `202` answer of `POST /v1/clicks`. */
export interface CollectorAnswer {
  accepted: number;
  rejected: CollectorRejection[];
}

/** A request body split into events, before validation. */
export type ParsedBody =
  | { ok: true; items: BodyItem[] }
  | { ok: false; status: 400 | 413 | 415; error: string };

/** One event of a body: its position and its decoded JSON value or raw NDJSON line. */
export type BodyItem = { index: number; value: unknown } | { index: number; line: string };
