// Types for the committed spec, with openapi-typescript's Node API: the CLI has no option
// for binary bodies, so `format: binary` becomes `Blob` here (the documented transform) and
// uploads and downloads are typed as bytes, not `string`.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [spec, out] = process.argv.slice(2);
if (!spec || !out) {
  console.error("usage: node generate.mjs SPEC OUT.ts");
  process.exit(2);
}
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(pathToFileURL(path.resolve(spec)), {
  transform(schema) {
    if (schema.format === "binary") return BLOB;
    return undefined;
  },
});
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, astToString(ast));
