import { Room } from "./room";

/** The inventory collaboration room: who is editing, and live inventory changes. */
export class InventoryRoom extends Room {}
