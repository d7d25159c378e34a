// Sends a welcome email to every new user, with watch(): run it, insert into app.users, watch
// the "emails" go out. Stop it (Ctrl-C) and start it again: users inserted meanwhile still get
// theirs, and nobody gets two, because the resume point is saved after each email.
//
//   MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0' npx tsx examples/welcome-email.ts
import { FileResumePointStore, watch, type ResumePointStore } from "tributary";

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
}

/** Calls `sendEmail` once per user inserted into `app.users`, until `signal` aborts. */
export async function welcomeNewUsers(uri: string, options: { sendEmail: (user: NewUser) => Promise<void>; resumePoints: ResumePointStore; signal?: AbortSignal }): Promise<void> {
  const signups = watch(uri, {
    include: ["app.users"],
    operations: ["insert"],
    resumePoints: options.resumePoints,
    saveEvery: { events: 1 },
  });
  options.signal?.addEventListener("abort", () => void signups.stop(), { once: true });
  for await (const event of signups) {
    const doc = event.doc ?? {};
    if (typeof doc.email !== "string") continue; // nobody to write to
    // If this throws, the loop ends and this user comes first on the next start.
    await options.sendEmail({ id: String(doc._id), email: doc.email, name: typeof doc.name === "string" ? doc.name : undefined });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  await welcomeNewUsers(process.env.MONGODB_URI ?? "mongodb://localhost:27017/?replicaSet=rs0", {
    resumePoints: new FileResumePointStore(".tributary/welcome-email.position.json"),
    signal: controller.signal,
    sendEmail: async (user) => console.log(`To: ${user.email}\nSubject: Welcome${user.name ? `, ${user.name}` : ""}!\n`),
  });
}
