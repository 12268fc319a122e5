#!/usr/bin/env node
// Validates Kubernetes manifests offline against the Kubernetes API schemas,
// so a misspelled field or a wrong type fails (tests/deploy/kubernetes_test.sh).
//
//   node validate.js FILE.yaml...     exit 0: valid; 1: errors (listed); 2: usage
//
// Two checks per document, both from the npm package kubernetes-models (its
// version, with everything else, pinned by package-lock.json):
//   1. the JSON schema of its apiVersion/kind (types, required fields,
//      formats), through the model's validate();
//   2. unknown fields: the document becomes a TypeScript object literal typed
//      with the model's interface (IDeployment, IService, ...), compiled with
//      `typescript`; an object literal may only name fields of its type, at
//      every depth (what the schemas leave open).
// YAML is parsed strictly (duplicate keys are errors).
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const ts = require("typescript");

function modelPath(doc) {
  return `kubernetes-models/${doc.apiVersion}/${doc.kind}`;
}

function describe(file, index, doc) {
  const name = doc && doc.metadata && doc.metadata.name ? ` ${doc.metadata.name}` : "";
  return `${path.basename(file)}: document ${index + 1} (${doc && doc.kind ? doc.kind : "?"}${name})`;
}

// Parses every document of `file`; returns [{file, index, doc}] or throws.
function readDocuments(file, errors) {
  const out = [];
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true, prettyErrors: true });
  docs.forEach((d, index) => {
    if (d.errors.length > 0) {
      d.errors.forEach((e) => errors.push(`${path.basename(file)}: document ${index + 1}: ${e.message}`));
      return;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined) return;  // an empty document
    out.push({ file, index, doc });
  });
  return out;
}

// Check 1: the schema of the document's kind.
function checkSchema(entry, errors) {
  const { file, index, doc } = entry;
  if (typeof doc !== "object" || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
    errors.push(`${describe(file, index, doc)}: apiVersion and kind are required`);
    return false;
  }
  let Model;
  try {
    Model = require(modelPath(doc))[doc.kind];
  } catch (e) {
    errors.push(`${describe(file, index, doc)}: unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`);
    return false;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    errors.push(`${describe(file, index, doc)}: ${e.message}`);
  }
  return true;
}

// Check 2: every document as a typed object literal, compiled at once.
function checkUnknownFields(entries, errors) {
  const dir = __dirname;
  const source = path.join(dir, ".manifests-check.ts");
  const lines = [];
  const owners = [];  // line -> entry
  entries.forEach((entry, i) => {
    const iface = `I${entry.doc.kind}`;
    lines.push(`import type { ${iface} as T${i} } from "${modelPath(entry.doc)}";`);
    owners.push(null);
  });
  entries.forEach((entry, i) => {
    const json = JSON.stringify(entry.doc, null, 2).split("\n");
    json[0] = `export const doc${i}: T${i} = ${json[0]}`;
    json[json.length - 1] += ";";
    json.forEach((l) => {
      lines.push(l);
      owners.push(entry);
    });
  });
  fs.writeFileSync(source, lines.join("\n") + "\n");
  try {
    const program = ts.createProgram([source], {
      noEmit: true, strict: true, skipLibCheck: true, module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2019, types: [],
    });
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file) {
        errors.push(`typescript: ${text}`);
        continue;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const entry = owners[line];
      const where = entry ? describe(entry.file, entry.index, entry.doc) : "manifests";
      const context = lines[line].trim();
      errors.push(`${where}: ${text.split("\n").pop()} (at ${context})`);
    }
  } finally {
    fs.rmSync(source, { force: true });
  }
}

function main(files) {
  if (files.length === 0) {
    console.error("usage: node validate.js FILE.yaml...");
    return 2;
  }
  const errors = [];
  let entries = [];
  for (const file of files) {
    try {
      entries = entries.concat(readDocuments(file, errors));
    } catch (e) {
      errors.push(`${file}: ${e.message}`);
    }
  }
  const known = entries.filter((entry) => checkSchema(entry, errors));
  if (known.length > 0) checkUnknownFields(known, errors);
  for (const e of errors) console.error(e);
  const kinds = entries.map((e) => e.doc.kind).join(", ");
  console.log(`${errors.length === 0 ? "valid" : "INVALID"}: ${entries.length} document(s) (${kinds}), ` +
              `${errors.length} error(s)`);
  return errors.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
