/**
 * Who may read a job assignment: the one rule the REST reads (`GET /jobs/{id}`, 404 for others)
 * and the line rooms (`job_update`, the snapshot's jobs) both apply. Pure, so the room can run
 * it on every delivery without D1.
 */
import { hasPermission, type Permission } from "../../lib/rbac";

/** The reader as both sides know it: the user it acts for, and its permissions. */
export interface JobReader {
  userId: string;
  permissions: ReadonlySet<Permission | "*">;
}

/** A job is readable by its assignee, and by anyone who assigns jobs (`job:assign`); both need `job:read`. */
export function mayReadJob(reader: JobReader, assigneeId: string | null): boolean {
  if (!hasPermission(reader.permissions, "job:read")) return false;
  return hasPermission(reader.permissions, "job:assign") || (assigneeId !== null && assigneeId === reader.userId);
}
