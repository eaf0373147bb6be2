import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { ErrorSchema } from "../../src/lib/surface";
import { Part, TransitionList } from "../../src/modules/parts/schemas";
import type { PartRow } from "../../src/modules/parts/service";
import { allowedActions, planTransition, transitionPart } from "../../src/modules/parts/service";
import type { Principal } from "../../src/types";
import { arr, call, type Json, loginAs, testDeps, unique } from "../helpers";

const ACTIONS = ["approve", "assign", "start", "unclaim", "complete", "revert"] as const;
type Action = (typeof ACTIONS)[number];
const bodyOf = (action: Action) => (action === "assign" ? { assigned: "Ada" } : {});

async function makePart(token: string, type = "cnc") {
  const res = await call("/api/v1/parts", { token, body: { type, name: unique("Gear"), part_id: unique("G"), material: "steel", subsystem: "Drive" } });
  expect(res.status).toBe(201);
  return res.json;
}

/** Drives a fresh part into one of the lifecycle's states. */
async function partIn(token: string, state: "review" | "reviewed" | "assigned" | "completed", type = "cnc") {
  const part = await makePart(token, type);
  const steps: Action[] = { review: [], reviewed: ["approve"], assigned: ["approve", "assign"], completed: ["approve", "assign", "complete"] }[
    state
  ] as Action[];
  for (const step of steps) {
    const res = await call(`/api/v1/parts/${part.id}/${step}`, { token, body: bodyOf(step) });
    expect(res.status, `${step}: ${JSON.stringify(res.json)}`).toBe(200);
  }
  return part.id;
}

type State = "review" | "reviewed" | "assigned" | "completed";
const LEGAL: Record<State, Action[]> = {
  review: ["approve"],
  reviewed: ["assign", "start", "complete"],
  assigned: ["assign", "unclaim", "complete"],
  completed: ["revert"],
};

describe("lifecycle state machine", () => {
  it("every action in every state: legal ones succeed, illegal ones are 409 with the state and allowed actions (v1)", async () => {
    const { token } = await loginAs("engineer");
    for (const [state, legal] of Object.entries(LEGAL) as [State, Action[]][]) {
      for (const action of ACTIONS) {
        const id = await partIn(token, state);
        // `schema` checks each answer against the declared response shape and types `json`.
        const before = (await call(`/api/v1/parts/${id}`, { token, schema: Part })).json;
        expect(before.allowed_actions).toEqual(legal);
        if (legal.includes(action)) {
          const res = await call(`/api/v1/parts/${id}/${action}`, { token, body: bodyOf(action), schema: Part });
          expect(res.status, `${state} ${action}`).toBe(200);
          expect(res.json.version).toBe(before.version + 1);
        } else {
          const res = await call(`/api/v1/parts/${id}/${action}`, { token, body: bodyOf(action), schema: ErrorSchema });
          expect(res.status, `${state} ${action}`).toBe(409);
          expect(res.json.error).toBe("CONFLICT");
          expect(res.json.details).toMatchObject({ action, category: before.category, status: before.status, allowed_actions: legal });
          const after = (await call(`/api/v1/parts/${id}`, { token, schema: Part })).json;
          expect(after.version).toBe(before.version);
        }
      }
    }
  }, 60_000);

  it("side effects: category by type, claimedDate, hand workers, unclaim statuses, revert; history records each", async () => {
    const { token, username } = await loginAs("engineer");
    const hand = await makePart(token, "hand");
    const approved = await call(`/api/v1/parts/${hand.id}/approve`, { token, body: { reviewer: "Rev" } });
    expect(approved.json).toMatchObject({ status: "Reviewed", category: "hand", misc_info: { reviewer: "Rev" } });
    const unclaimedFresh = await call(`/api/v1/parts/${hand.id}/assign`, { token, body: { assigned: "Ada" } });
    expect(unclaimedFresh.json).toMatchObject({ status: "In Progress", assigned: "Ada" });
    expect(typeof unclaimedFresh.json.claimed_date).toBe("string");
    expect(arr(unclaimedFresh.json.misc_info?.handWorkers).map((w) => w.name)).toEqual(["Ada"]);
    const unclaimed = await call(`/api/v1/parts/${hand.id}/unclaim`, { token, body: {} });
    expect(unclaimed.json).toMatchObject({ status: "Already Started", assigned: null, claimed_date: null });
    await call(`/api/v1/parts/${hand.id}/assign`, { token, body: { assigned: "Bob" } });
    const done = await call(`/api/v1/parts/${hand.id}/complete`, { token, body: { misc_info: { completedIncorrectly: false } } });
    expect(done.json).toMatchObject({ status: "Completed", category: "completed" });
    const reverted = await call(`/api/v1/parts/${hand.id}/revert`, { token, body: {} });
    expect(reverted.json).toMatchObject({ status: "In Progress", category: "hand" });

    const history = await call(`/api/v1/parts/${hand.id}/history`, { token });
    expect(history.status).toBe(200);
    const items = arr(history.json.items);
    expect(items.map((t) => t.action)).toEqual(["approve", "assign", "unclaim", "assign", "complete", "revert"]);
    expect(items[0]).toMatchObject({ from: { category: "review", status: "Pending" }, to: { category: "hand", status: "Reviewed" }, actor: username });
    expect(items[2]).toMatchObject({ to: { status: "Already Started" }, assigned: null });

    const misc = await makePart(token, "misc");
    expect((await call(`/api/v1/parts/${misc.id}/approve`, { token, body: {} })).json.category).toBe("misc");
    // Unclaim from Reviewed (never in progress) goes back to Pending.
    const cnc = await partIn(token, "reviewed");
    await call(`/api/v1/parts/${cnc}/assign`, { token, body: { assigned: "Cy" } });
    await call(`/api/v1/parts/${cnc}/complete`, { token, body: {} });
    await call(`/api/v1/parts/${cnc}/revert`, { token, body: {} });
    expect((await call(`/api/v1/parts/${cnc}/unclaim`, { token, body: {} })).json.status).toBe("Already Started");
  });

  it("only reviewers approve; If-Match guards a transition", async () => {
    const operator = await loginAs("operator");
    const engineer = await loginAs("engineer");
    const part = await makePart(engineer.token);
    expect((await call(`/api/v1/parts/${part.id}/approve`, { token: operator.token, body: {} })).status).toBe(403);
    const stale = await call(`/api/v1/parts/${part.id}/approve`, { token: engineer.token, body: {}, headers: { "if-match": '"7"' } });
    expect(stale.status).toBe(409);
    const ok = await call(`/api/v1/parts/${part.id}/approve`, { token: engineer.token, body: {}, headers: { "if-match": '"1"' } });
    expect(ok.status).toBe(200);
    expect(ok.res.headers.get("etag")).toBe('"2"');
  });

  it("concurrent transitions on one part: exactly one wins, one history row", async () => {
    const { token } = await loginAs("engineer");
    const id = await partIn(token, "reviewed");
    const results = await Promise.all(
      ["Ann", "Ben", "Cat", "Dan"].map((assigned) => call(`/api/v1/parts/${id}/complete`, { token, body: { misc_info: { by: assigned } } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    const history = arr((await call(`/api/v1/parts/${id}/history`, { token })).json.items);
    expect(history.filter((t) => String(t.action) === "complete")).toHaveLength(1);
  });

  it("a write that loses the version race changes nothing (service level)", async () => {
    const { token } = await loginAs("engineer");
    const id = Number(await partIn(token, "reviewed"));
    const actor: Principal = {
      kind: "user",
      userId: "u",
      username: "racer",
      role: "engineer",
      permissions: new Set(["parts:write"]),
      tabs: [],
      sessionId: "s",
    };
    const deps = testDeps();
    // Force the interleaving: neither write batch starts until both writers have read the part,
    // so both plan from the same version and exactly one conditional update can match.
    let arrived = 0;
    let release = () => {};
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const db = new Proxy(deps.db, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== "batch" || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (++arrived === 2) release();
          await bothRead;
          return Reflect.apply(value, target, args);
        };
      },
    });
    const [a, b] = await Promise.allSettled([
      transitionPart({ ...deps, db }, { id, transition: { action: "assign", assigned: "A" } }, actor),
      transitionPart({ ...deps, db }, { id, transition: { action: "assign", assigned: "B" } }, actor),
    ]);
    expect(arrived).toBe(2); // the race happened: both reached the write with the same version
    const won = [a, b].filter((r) => r.status === "fulfilled");
    const lost = [a, b].filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const loser: unknown = lost[0]?.status === "rejected" ? lost[0].reason : undefined;
    expect(loser).toBeInstanceOf(AppError);
    expect(loser instanceof AppError && loser.status).toBe(409);
    const history = (await call(`/api/v1/parts/${id}/history`, { token, schema: TransitionList })).json.items.filter((t) => t.action === "assign");
    expect(history).toHaveLength(1);
    const winner = won[0]?.status === "fulfilled" ? won[0].value : undefined;
    expect(history[0]?.assigned).toBe(winner?.assigned);
  });

  it("planTransition is total over states × actions", () => {
    const base = { id: 1, type: "cnc", status: "Pending", category: "review", assigned: null, miscInfo: null } as unknown as PartRow;
    for (const category of ["review", "cnc", "hand", "misc", "completed"] as const) {
      for (const assigned of [null, "X"]) {
        const part = { ...base, category, assigned };
        for (const action of ACTIONS) {
          const input = action === "assign" ? { action, assigned: "Y" } : { action };
          if (allowedActions(part).includes(action)) expect(planTransition(part, input, new Date()).set.status).toBeTruthy();
          else expect(() => planTransition(part, input, new Date())).toThrow();
        }
      }
    }
  });
});

describe("lifecycle on the compat surface", () => {
  it("answers as the seed: the part on success, 400 'Part is not completed' on revert, {error} otherwise", async () => {
    const { token } = await loginAs("engineer");
    const created = await call("/api/parts/", { token, body: { type: "cnc", name: "C", partId: unique("C"), material: "al", subsystem: "S" } });
    const id = created.json.id;
    const revert = await call(`/api/parts/${id}/revert`, { token, method: "POST" });
    expect(revert.status).toBe(400);
    expect(revert.json).toEqual({ error: "Part is not completed" });
    const early = await call(`/api/parts/${id}/complete`, { token, body: {} });
    expect(early.status).toBe(409);
    expect(Object.keys(early.json)).toEqual(["error"]);
    const approved = await call(`/api/parts/${id}/approve`, { token, method: "POST" });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ status: "Reviewed", category: "cnc" });
    const noAssignee = await call(`/api/parts/${id}/assign`, { token, body: {} });
    expect(noAssignee.status).toBe(400);
    expect(noAssignee.json).toEqual({ error: "Assigned user required" });
    const assigned = await call(`/api/parts/${id}/assign`, { token, body: { assigned: "Ada", api_key: "ignored-here" } });
    expect(assigned.json).toMatchObject({ status: "In Progress", assigned: "Ada" });
    expect(typeof (assigned.json as Json).claimedDate).toBe("string");
    const unclaimed = await call(`/api/parts/${id}/unclaim`, { token, method: "POST" });
    expect(unclaimed.json).toMatchObject({ status: "Already Started", assigned: null });
    const done = await call(`/api/parts/${id}/complete`, { token, body: { miscInfo: { completedIncorrectly: true } } });
    expect(done.json).toMatchObject({ status: "Completed", category: "completed" });
    const back = await call(`/api/parts/${id}/revert`, { token, method: "POST" });
    expect(back.json).toMatchObject({ status: "In Progress", category: "cnc" });
  });

  it("leaderboard scores completed parts", async () => {
    const { token } = await loginAs("engineer");
    const who = unique("W");
    const hand = await makePart(token, "hand");
    await call(`/api/v1/parts/${hand.id}/approve`, { token, body: {} });
    await call(`/api/v1/parts/${hand.id}/assign`, { token, body: { assigned: `${who}-early` } });
    await call(`/api/v1/parts/${hand.id}/assign`, { token, body: { assigned: who } });
    await call(`/api/v1/parts/${hand.id}/complete`, { token, body: {} });
    const bad = await makePart(token, "cnc");
    await call(`/api/v1/parts/${bad.id}/approve`, { token, body: {} });
    await call(`/api/v1/parts/${bad.id}/assign`, { token, body: { assigned: `${who}-bad` } });
    await call(`/api/v1/parts/${bad.id}/complete`, { token, body: { misc_info: { completedIncorrectly: true } } });
    const board = arr((await call("/api/parts/leaderboard", { token })).json.leaderboard);
    const score = (name: string) => board.find((e) => String(e.name) === name)?.score;
    expect(score(who)).toBe(1);
    expect(score(`${who}-early`)).toBe(0.5);
    expect(score(`${who}-bad`)).toBe(-1);
  });
});
