// Reports written with no connection, kept on the device (IndexedDB, through the idb package)
// with their photos and their Idempotency-Key until they are sent: a report sent again after
// a lost answer is filed once (dimos/idempotency.py).
import { openDB } from "/vendor/idb/build/index.js";

const STORE = "reports";
let opened = null;
const database = () => {
  opened ??= openDB("dimos-outbox", 1, {
    upgrade(db) { db.createObjectStore(STORE, { keyPath: "key" }); },
  });
  return opened;
};

/** Keep ``report`` ({key, service, title, fields: [[name, value]], photos: [File], …}). */
export async function keep(report) {
  await (await database()).put(STORE, report);
}

/** The reports waiting, oldest first. */
export async function waiting() {
  const all = await (await database()).getAll(STORE);
  return all.sort((a, b) => a.created.localeCompare(b.created));
}

export async function forget(key) {
  await (await database()).delete(STORE, key);
}

/** The report as the form Open311's POST takes. */
export function asForm(report) {
  const form = new FormData();
  for (const [name, value] of report.fields) form.append(name, value);
  for (const photo of report.photos) form.append("media", photo, photo.name);
  return form;
}
