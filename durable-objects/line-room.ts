import { Room } from "./room";

/** One production line's room: andon/OEE state and the tablets watching that line. */
export class LineRoom extends Room {}
