#!/usr/bin/env python3
"""Fails when a policy's questions-ui.yml and its settings disagree on which settings exist.

For each policy (default: every policies/<name>/ with a metadata.yml; or the names given as
arguments) this compares two sets of setting paths:

* **settings.rs**: the paths of the `Settings` struct of policies/<name>/src/settings.rs. Every
  `pub struct` / `pub enum` deriving `Deserialize` in the policy's src/ and in
  policies/policy-common/src/ (code after `#[cfg(test)]` is ignored) is read with its serde
  attributes: `rename_all` on the container, `rename`, `skip`, `skip_deserializing` and `flatten`
  on fields and variants. A field whose type (under `Option<>` / `Box<>`) is
  - another such struct gives dotted paths (`plaintext.sensitiveNameValues`);
  - `Vec<struct>` gives `path[].child` paths (`secrets.requiredLabels[].key`);
  - an externally tagged enum with data variants (`Vec<Verifier>`) gives one path per variant,
    followed into the variant's struct (`signatures.rules[].verifiers[].keyless.issuer`);
  - a map (`BTreeMap`, `HashMap`) is one setting whose keys are free: its question may be the
    map itself or children `path.<any key>` (`allowedByKind.Job`);
  - anything else (strings, numbers, `Action`, unit-only enums, `#[serde(try_from)]` or
    `untagged` types, lists of those) is a single setting.
* **questions-ui.yml**: the `variable` of every question. Top-level questions and
  `subquestions` give their variable as written (a subquestion's variable must start with its
  parent's variable and a dot, as Rancher expects); `sequence_questions` are relative to one
  element of their sequence, so `ranges` > `min` is `ranges[].min`.

A setting path with no question is **missing**; a question path that is no setting is
**unknown**. A question for a struct-typed field counts only through questions for its fields,
except that a field of type `Option<struct>`, `Vec<struct>` or a data enum may be covered by a
single question for the whole value (a `yaml` or `sequence[` question without children); when
such a question has children, they must cover the struct completely.

Each question must also be well formed: `variable`, `label`, `description`, `type`, `default`
and `group` present; `type` one the Rancher / Kubewarden UI renders; an `enum` with `options`
that contain its default; a `boolean`, `int` or `float` default of that type (or null);
`subquestions` only on `map[` and `sequence_questions` only on `sequence[` questions; no
variable twice. Defaults are not compared with the `Default` impls (they are reviewed by hand).

Exit 0 when every policy agrees, 1 otherwise (each problem listed).
Usage: check-questions-ui.py [POLICY ...]
"""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
COMMON = POLICIES / "policy-common" / "src"

SCALAR_TYPES = {"string", "multiline", "password", "text", "hostname", "boolean", "int", "float",
                "enum", "yaml", "radio"}
CONTAINER_PREFIXES = ("array[", "map[", "sequence[")
MAP_TYPES = ("BTreeMap", "HashMap", "IndexMap")


# ---------------------------------------------------------------------------------------------
# Rust side
# ---------------------------------------------------------------------------------------------

def words(ident):
    """Words of a snake_case or PascalCase identifier, lower-cased."""
    out = []
    for part in ident.split("_"):
        out += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[A-Z]", part)
    return [w.lower() for w in out if w]


def rename(ident, rule):
    """The serde name of a field or variant under `rename_all = rule` (None: as written)."""
    if rule is None:
        return ident
    w = words(ident)
    return {
        "camelCase": lambda: w[0] + "".join(x.capitalize() for x in w[1:]),
        "PascalCase": lambda: "".join(x.capitalize() for x in w),
        "snake_case": lambda: "_".join(w),
        "lowercase": lambda: "".join(w),
        "UPPERCASE": lambda: "".join(w).upper(),
        "kebab-case": lambda: "-".join(w),
        "SCREAMING_SNAKE_CASE": lambda: "_".join(w).upper(),
        "SCREAMING-KEBAB-CASE": lambda: "-".join(w).upper(),
    }[rule]()


def strip_comments(text):
    """Drops `//` comments (outside string literals) and everything from `#[cfg(test)]` on."""
    text = text.split("#[cfg(test)]")[0]
    out = []
    for line in text.splitlines():
        in_str = False
        for i, c in enumerate(line):
            if c == '"' and (i == 0 or line[i - 1] != "\\"):
                in_str = not in_str
            elif not in_str and line.startswith("//", i):
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def split_top(body, sep=","):
    """Splits at `sep` outside any (), [], {}, <> nesting."""
    parts, depth, cur = [], 0, ""
    for c in body:
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        if c == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def serde_attrs(attrs):
    """`key = "value"` pairs and bare words of every `#[serde(...)]` in `attrs`."""
    out = {}
    for inner in re.findall(r"#\[\s*serde\s*\((.*?)\)\s*\]", attrs, re.S):
        for item in split_top(inner):
            m = re.match(r'(\w+)\s*=\s*"([^"]*)"', item)
            if m:
                out[m.group(1)] = m.group(2)
            else:
                out[item.split("(")[0].strip()] = True
    return out


class Item:
    def __init__(self, kind, name, attrs, body):
        self.kind, self.name, self.serde, self.members = kind, name, serde_attrs(attrs), []
        for chunk in split_top(body):
            member_attrs = "".join(re.findall(r"#\[.*?\]\s*(?=#|\w)", chunk, re.S))
            rest = re.sub(r"#\[.*?\]\s*(?=#|\w)", "", chunk, flags=re.S).strip()
            if kind == "struct":
                m = re.match(r"(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*(.+)$", rest, re.S)
                if m:
                    self.members.append((m.group(1), " ".join(m.group(2).split()),
                                         serde_attrs(member_attrs)))
            else:
                m = re.match(r"(\w+)\s*(?:\((.*)\)|\{(.*)\})?\s*(?:=.*)?$", rest, re.S)
                if m:
                    payload = m.group(2) if m.group(2) is not None else m.group(3)
                    self.members.append((m.group(1), payload, serde_attrs(member_attrs)))

    def is_data_enum(self):
        return (self.kind == "enum" and not self.serde.get("untagged")
                and any(p is not None and p.strip() for _, p, _ in self.members))

    def is_leaf(self):
        """Deserialised from one value (a string, a number) rather than from fields."""
        return any(k in self.serde for k in ("try_from", "from", "transparent", "untagged"))


def load_items(policy):
    """Every Deserialize struct/enum, the policy's own definitions first."""
    own = POLICIES / policy / "src"
    files = [own / "settings.rs"] + sorted(p for p in own.rglob("*.rs") if p.name != "settings.rs" or p.parent != own)
    files += sorted(COMMON.rglob("*.rs"))
    items = {}
    head = re.compile(r"((?:[ \t]*#\[[^\n]*\]\s*\n)*)[ \t]*pub(?:\([^)]*\))?\s+(struct|enum)\s+(\w+)(?:<[^>{]*>)?\s*([{(;])")
    for f in files:
        text = strip_comments(f.read_text(encoding="utf-8"))
        for m in head.finditer(text):
            attrs, kind, name, opener = m.groups()
            derive = " ".join(re.findall(r"#\[\s*derive\s*\((.*?)\)\s*\]", attrs, re.S))
            if not re.search(r"\bDeserialize\b", derive) or name in items:
                continue
            if opener != "{":  # tuple or unit struct: one value
                items[name] = Item("leafstruct", name, attrs, "")
                continue
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            items[name] = Item(kind, name, attrs, text[m.end():i - 1])
    return items


def unwrap(ty, wrapper):
    m = re.fullmatch(rf"(?:\w+::)*{wrapper}\s*<\s*(.*)\s*>", ty.strip(), re.S)
    return m.group(1).strip() if m else None


class Node:
    """One setting: kind leaf | map | struct | seq | variants; children by serde name."""

    def __init__(self, kind, children=None, whole_ok=False):
        self.kind, self.children, self.whole_ok = kind, children or {}, whole_ok


def type_node(ty, items, stack, optional=False):
    for wrapper in ("Option", "Box"):
        inner = unwrap(ty, wrapper)
        if inner is not None:
            return type_node(inner, items, stack, optional or wrapper == "Option")
    inner = unwrap(ty, "Vec")
    if inner is not None:
        elem = type_node(inner, items, stack)
        if elem.kind in ("struct", "variants"):
            return Node("seq", elem.children, whole_ok=True)
        return Node("leaf")
    base = re.sub(r"<.*", "", ty.strip(), flags=re.S).split("::")[-1].strip()
    if base in MAP_TYPES:
        return Node("map")
    item = items.get(base)
    if item is None or item.is_leaf() or item.kind == "leafstruct" or base in stack:
        return Node("leaf")
    if item.kind == "struct":
        return Node("struct", struct_children(item, items, stack + [base]), whole_ok=optional)
    if item.is_data_enum():
        return Node("variants", variant_children(item, items, stack + [base]), whole_ok=True)
    return Node("leaf")


def struct_children(item, items, stack):
    out = {}
    for name, ty, attrs in item.members:
        if attrs.get("skip") or attrs.get("skip_deserializing"):
            continue
        node = type_node(ty, items, stack)
        if attrs.get("flatten") and node.kind == "struct":
            out.update(node.children)
            continue
        out[attrs.get("rename") or rename(name, item.serde.get("rename_all"))] = node
    return out


def variant_children(item, items, stack):
    out = {}
    for name, payload, attrs in item.members:
        if payload is None or not payload.strip() or attrs.get("skip") or attrs.get("skip_deserializing"):
            continue  # a unit variant is a value, not a key
        key = attrs.get("rename") or rename(name, item.serde.get("rename_all"))
        if ":" in payload:  # struct variant
            fake = Item("struct", name, "", payload)
            fake.serde = item.serde
            out[key] = Node("struct", struct_children(fake, items, stack), whole_ok=True)
        else:
            node = type_node(payload, items, stack)
            if node.kind == "struct":
                node.whole_ok = True
            out[key] = node
    return out


def settings_tree(policy):
    items = load_items(policy)
    if "Settings" not in items or items["Settings"].kind != "struct":
        raise SystemExit(f"{policy}: no `pub struct Settings` deriving Deserialize in src/settings.rs")
    return Node("struct", struct_children(items["Settings"], items, ["Settings"]))


# ---------------------------------------------------------------------------------------------
# questions-ui.yml side
# ---------------------------------------------------------------------------------------------

def known_type(t):
    return isinstance(t, str) and (t in SCALAR_TYPES or t.startswith(CONTAINER_PREFIXES))


def collect_questions(questions, scope, parent, where, out, problems):
    """Fills out[path] = question; `scope` is the sequence prefix (`a[].`), `parent` the variable
    a subquestion must extend."""
    if not isinstance(questions, list):
        problems.append(f"{where}: must be a list of questions")
        return
    for q in questions:
        if not isinstance(q, dict) or not isinstance(q.get("variable"), str):
            problems.append(f"{where}: a question without a variable: {q!r}")
            continue
        var = q["variable"]
        path = scope + var
        if parent is not None and not var.startswith(parent + "."):
            problems.append(f"{path}: a subquestion of {scope + parent} must be named {parent}.<field>")
        if path in out:
            problems.append(f"{path}: asked twice")
        out[path] = q
        for key in ("label", "description", "type", "group"):
            if not q.get(key):
                problems.append(f"{path}: no {key}")
        if "default" not in q:
            problems.append(f"{path}: no default (write `default: null` when the setting is unset by default)")
        t, d = q.get("type"), q.get("default")
        if not known_type(t):
            problems.append(f"{path}: unknown type {t!r}")
        if t == "enum":
            opts = q.get("options")
            if not opts:
                problems.append(f"{path}: enum without options")
            elif d is not None and d not in opts:
                problems.append(f"{path}: default {d!r} is not one of the options {opts}")
        if d is not None and (t == "boolean" and not isinstance(d, bool)
                              or t == "int" and (isinstance(d, bool) or not isinstance(d, int))
                              or t == "float" and (isinstance(d, bool) or not isinstance(d, (int, float)))):
            problems.append(f"{path}: default {d!r} is not a {t}")
        if "subquestions" in q:
            if not str(t).startswith("map["):
                problems.append(f"{path}: subquestions need type map[")
            collect_questions(q["subquestions"], scope, var, f"{path}.subquestions", out, problems)
        if "sequence_questions" in q:
            if not str(t).startswith("sequence["):
                problems.append(f"{path}: sequence_questions need type sequence[")
            collect_questions(q["sequence_questions"], path + "[].", None,
                              f"{path}.sequence_questions", out, problems)


# ---------------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------------

def compare(node, path, asked, used, missing):
    if path in asked:
        used.add(path)
    sep = "[]." if node.kind == "seq" else "."
    below = [p for p in asked if p.startswith(path + sep)] if path else list(asked)
    if node.kind == "leaf":
        if path not in asked:
            missing.append(path)
    elif node.kind == "map":
        used.update(below)
        if path not in asked and not below:
            missing.append(path)
    else:
        if not below and path in asked and node.whole_ok:
            return
        for name, child in node.children.items():
            compare(child, f"{path}{sep}{name}" if path else name, asked, used, missing)


def check(policy):
    qfile = POLICIES / policy / "questions-ui.yml"
    if not qfile.exists():
        return [f"{qfile.relative_to(ROOT)}: missing"], 0, 0
    doc = yaml.safe_load(qfile.read_text(encoding="utf-8"))
    problems, asked = [], {}
    if not isinstance(doc, dict) or "questions" not in doc:
        return [f"{qfile.relative_to(ROOT)}: no top-level `questions:` list"], 0, 0
    collect_questions(doc["questions"], "", None, "questions", asked, problems)
    used, missing = set(), []
    compare(settings_tree(policy), "", asked, used, missing)
    problems += [f"missing: setting {p} has no question" for p in missing]
    problems += [f"unknown: question {p} names no setting of src/settings.rs" for p in sorted(set(asked) - used)]
    return problems, len(asked), len(missing)


def main(argv):
    names = argv or sorted(p.parent.name for p in POLICIES.glob("*/metadata.yml"))
    failed = False
    for name in names:
        problems, n_questions, _ = check(name)
        if problems:
            failed = True
            print(f"{name}: {len(problems)} problem(s)")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"{name}: ok ({n_questions} questions cover every setting of src/settings.rs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
