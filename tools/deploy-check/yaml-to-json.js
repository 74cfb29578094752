#!/usr/bin/env node
// Prints a multi-document YAML file as one JSON array (tests read rendered manifests with System.Text.Json).
// Usage: node yaml-to-json.js FILE.yaml|-   Exits 1 when the input is not valid YAML.
"use strict";

const fs = require("fs");
const YAML = require("yaml");

const text = fs.readFileSync(process.argv[2] === "-" || process.argv[2] === undefined ? 0 : process.argv[2], "utf8");
const docs = [];
let status = 0;
for (const doc of YAML.parseAllDocuments(text, { merge: true })) {
  if (doc.errors.length > 0) {
    doc.errors.forEach((e) => process.stderr.write(`${e.message}\n`));
    status = 1;
    continue;
  }
  const value = doc.toJS();
  if (value !== null && value !== undefined) docs.push(value);
}
process.stdout.write(JSON.stringify(docs) + "\n");
process.exitCode = status;
