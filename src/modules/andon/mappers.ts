import type { andonEvents } from "../../db/schema";

type AndonRow = typeof andonEvents.$inferSelect;

/** An andon row as the API and the line rooms send it (MS5's shape plus `escalation_level`). */
export const toAndonEvent = (row: AndonRow) => ({
  id: row.id,
  line_id: row.lineId,
  equipment_code: row.equipmentCode,
  event_type: row.eventType,
  priority: row.priority,
  description: row.description,
  status: row.status,
  escalation_level: row.escalationLevel,
  reported_by: row.reportedBy,
  reported_at: row.reportedAt,
  acknowledged_by: row.acknowledgedBy,
  acknowledged_at: row.acknowledgedAt,
  resolved_by: row.resolvedBy,
  resolved_at: row.resolvedAt,
  resolution_notes: row.resolutionNotes,
});
export type AndonEventResponse = ReturnType<typeof toAndonEvent>;
