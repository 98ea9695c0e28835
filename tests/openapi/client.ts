// A TypeScript program using only the client generated from the committed openapi.yaml
// (openapi-typescript types + openapi-fetch): log in, make and list a folder, upload real
// bytes, download a Range and compare. Run by run.sh against the real server
// (FERRY_URL, FERRY_USER, FERRY_PASSWORD); exits non-zero on the first mismatch.
import { createHash, randomBytes } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./generated/ferry.js";

function check(ok: boolean, what: string, detail?: unknown): asserts ok {
  if (!ok) {
    console.error(`FAIL: ${what}`, detail ?? "");
    process.exit(1);
  }
}

const env = (name: string): string => {
  const v = process.env[name];
  check(v !== undefined && v !== "", `${name} is set`);
  return v;
};

const baseUrl = env("FERRY_URL");
const anonymous = createClient<paths>({ baseUrl });

const login = await anonymous.POST("/api/v1/login", {
  body: { username: env("FERRY_USER"), password: env("FERRY_PASSWORD") },
});
check(login.response.status === 200 && login.data !== undefined, "login", login.error);
const token = login.data.token;

const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

const me = await api.GET("/api/v1/me");
check(me.data?.user === env("FERRY_USER"), "GET /api/v1/me names the user", me.error);

const made = await api.POST("/api/v1/dirs/{path}", { params: { path: { path: "ts-client" } } });
check(made.response.status === 201 && made.data?.kind === "dir", "make_folder", made.error);

// Real bytes: every value 0..255 and random ones, sent as a Blob, never JSON.
const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
const md5 = createHash("md5").update(bytes).digest();
const put = await api.PUT("/api/v1/files/{path}", {
  params: {
    path: { path: "ts-client/blob.bin" },
    header: { "Content-MD5": md5.toString("base64") },
  },
  body: new Blob([bytes]),
  // openapi-fetch JSON-encodes bodies by default; a Blob is sent as it is.
  bodySerializer: (body) => body,
  headers: { "Content-Type": "application/octet-stream" },
});
check(put.response.status === 201, "put_file created the file", put.error);
check(put.data?.size === bytes.length, "the entry has the byte count", put.data);
check(put.data?.md5 === md5.toString("hex"), "the entry has the MD5", put.data);

const listed = await api.GET("/api/v1/dirs/{path}", { params: { path: { path: "ts-client" } } });
check(listed.response.status === 200 && listed.data !== undefined, "list_folder", listed.error);
const entry = listed.data.entries.find((e) => e.name === "blob.bin");
check(entry?.size === bytes.length, "the listing shows the file and its size", listed.data);

const [first, last] = [1000, 200_999];
const got = await api.GET("/api/v1/files/{path}", {
  params: { path: { path: "ts-client/blob.bin" }, header: { Range: `bytes=${first}-${last}` } },
  parseAs: "blob",
});
check(got.response.status === 206 && got.data !== undefined, "a Range download is 206", got.error);
const range = Buffer.from(await got.data.arrayBuffer());
check(
  got.response.headers.get("content-range") === `bytes ${first}-${last}/${bytes.length}`,
  "Content-Range names the range",
  got.response.headers.get("content-range"),
);
check(range.equals(bytes.subarray(first, last + 1)), "the downloaded range is the uploaded bytes");

const missing = await api.GET("/api/v1/stat/{path}", { params: { path: { path: "ts-client/none" } } });
check(missing.response.status === 404 && missing.error?.code === "not_found", "a typed problem", missing.error);

console.log(`typescript client: ${bytes.length} bytes up, range of ${range.length} down, intact`);
