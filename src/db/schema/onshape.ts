import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, timestamps } from "./columns";
import { users } from "./identity";

/**
 * A user's Onshape connection (seed 002's OAuth 2): the tokens, sealed with AES-256-GCM under
 * ONSHAPE_TOKEN_KEY, never stored in clear. `version` guards the refresh (one wins).
 */
export const onshapeConnections = sqliteTable("onshape_connections", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  accessToken: text("access_token").notNull(),
  refreshToken: text("refresh_token"),
  expiresAt: timestamp("expires_at").notNull(),
  scope: text("scope"),
  version: integer("version").notNull().default(1),
  ...timestamps(),
});

/**
 * OAuth `state` values handed out by connect: single-use (deleted when the callback spends it),
 * bound to the user who asked, short-lived. Only the SHA-256 of the state is kept.
 */
export const onshapeOauthStates = sqliteTable(
  "onshape_oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("onshape_oauth_states_expires_idx").on(t.expiresAt)],
);
