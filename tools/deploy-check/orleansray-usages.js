#!/usr/bin/env node
// Lists how the deploy files run the orleansray command, so a test can check each flag against the CLI.
// Usage: node orleansray-usages.js FILE.yaml...   (Kubernetes manifests, compose files; multi-document YAML)
// Prints JSON: [{ "file", "where", "tokens": [...] }], one entry per container or compose service that runs the
// orleansray image (its image names orleansray, or a compose service builds deploy/docker/Dockerfile), with the
// tokens of its entrypoint/command/args. Exits 1 when a file is not valid YAML.
"use strict";

const fs = require("fs");
const YAML = require("yaml");

// Splits a compose-style command string the way a shell would for plain words and simple quotes.
function split(text) {
  const tokens = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    tokens.push(m[1] ?? m[2] ?? m[3]);
  }
  return tokens;
}

function asTokens(value) {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return split(String(value));
}

function runsOrleansRay(node) {
  // "orleansray", "registry/orleansray:1.0", "${IMAGE:-orleansray:dev}"; not "orleansray-postgres".
  if (typeof node.image === "string" && /\borleansray(?![-\w])/.test(node.image)) return true;
  const build = node.build;
  if (typeof build === "string") return /deploy[\\/]docker|\.\.?$/.test(build) && typeof node.image !== "string";
  if (build && typeof build === "object") {
    return /Dockerfile/.test(String(build.dockerfile ?? "")) || /deploy[\\/]docker/.test(String(build.context ?? ""));
  }
  return false;
}

// A command that starts a node ("start ... --head" / "start ... --address") is orleansray's whatever the image is
// called (an image given only through a variable, say).
function startsNode(node) {
  const tokens = [...asTokens(node.entrypoint), ...asTokens(node.command), ...asTokens(node.args)];
  return tokens.includes("start") && tokens.some((t) => /^--(head|address)(=|$)/.test(t));
}

function walk(node, path, file, out) {
  if (Array.isArray(node)) {
    node.forEach((child, i) => walk(child, `${path}[${i}]`, file, out));
    return;
  }
  if (!node || typeof node !== "object") return;
  if ((runsOrleansRay(node) || startsNode(node)) && (node.command !== undefined || node.args !== undefined || node.entrypoint !== undefined)) {
    const tokens = [...asTokens(node.entrypoint), ...asTokens(node.command), ...asTokens(node.args)];
    out.push({ file, where: path || "/", tokens });
  }
  for (const [key, child] of Object.entries(node)) {
    walk(child, `${path}/${key}`, file, out);
  }
}

function main(files) {
  const out = [];
  let status = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    YAML.parseAllDocuments(text, { merge: true }).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        doc.errors.forEach((e) => process.stderr.write(`${file}: ${e.message}\n`));
        status = 1;
        return;
      }
      walk(doc.toJS({ maxAliasCount: -1 }), `doc${index}`, file, out);
    });
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
  return status;
}

process.exitCode = main(process.argv.slice(2));
