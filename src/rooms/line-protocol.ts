/**
 * Names the line rooms share with the Worker, in a module free of `cloudflare:workers` so the
 * API's routes (and the OpenAPI build that runs in Node) can import them without the room.
 */

/**
 * The room every line's events are also published to: MS5's tablets connect to `/ws/` without
 * naming a line and subscribe to the lines they show.
 */
export const FLOOR_ROOM = "~floor";

/** Events kept for replay after a reconnect; an older `last_seq` gets a snapshot instead. */
export const REPLAY_LOG_SIZE = 256;
