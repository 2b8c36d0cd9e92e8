#!/usr/bin/env python3
"""Signed artifacts against a real registry (run by tests/scripts/registry-roundtrip.sh, after the
modules are pushed to it):

  1. a cosign key pair is generated (passphrase from COSIGN_PASSWORD; the private key 0600;
     without COSIGN_PASSWORD and without a terminal kwhost refuses to ask);
  2. every policy pushed to the registry is signed with an annotation and verified (flags and a
     verification config), pulled through verification (the same bytes as dist/), and run from
     the registry through verification;
  3. each of these is refused with a message that names it: no signature, a signature by another
     key, a missing required annotation, a module changed after signing (a signature copied onto
     another digest), a tag moved to another digest (while the verified digest still verifies),
     a malformed signature layer, a verification config with no constraint, an anyOf that too
     few signatures meet;
  4. neither the passphrase nor any line of the private key appears in any output;
  5. every signature also verifies by cosign's rules as written here, independently of the
     sigstore crate (Python's `cryptography`): manifest and layer media types, the payload's
     type and digest, the ECDSA-SHA256 signature, the annotations.

    python3 tests/scripts/check-signing.py KWHOST HOST:PORT
"""

import hashlib
import json
import os
import pathlib
import secrets
import subprocess
import sys
import tempfile
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
POLICIES = ["secret-handling", "image-provenance", "restart-policy", "rbac-least-privilege"]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
problems = []
outputs = []


def kwhost(*args, password=None, expect=0, contains=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "COSIGN_PASSWORD"}
    if password is not None:
        env["COSIGN_PASSWORD"] = password
    run = subprocess.run([KWHOST, *map(str, args)], capture_output=True, text=True, env=env,
                         stdin=subprocess.DEVNULL, cwd=cwd)
    outputs.append(run.stdout + run.stderr)
    what = " ".join(map(str, args[:2]))
    if run.returncode != expect:
        problems.append(f"kwhost {what} ...: exit {run.returncode}, expected {expect}: {run.stderr.strip()}")
    elif contains and contains not in run.stderr + run.stdout:
        problems.append(f"kwhost {what} ...: the message does not say {contains!r}: {run.stderr.strip()}")
    return run


def registry(method, path, body=None, headers=None):
    request = urllib.request.Request(f"http://{HOST}/v2/{path}", data=body, method=method,
                                     headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.read(), response.headers


def manifest(repo, ref):
    body, headers = registry("GET", f"{repo}/manifests/{ref}", headers={"Accept": OCI_MANIFEST})
    return body, headers["Docker-Content-Digest"]


def put_manifest(repo, ref, body):
    registry("PUT", f"{repo}/manifests/{ref}", body, {"Content-Type": OCI_MANIFEST})


def put_blob(repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers = registry("POST", f"{repo}/blobs/uploads/")
    location = headers["Location"]
    separator = "&" if "?" in location else "?"
    url = location if location.startswith("http") else f"http://{HOST}{location}"
    request = urllib.request.Request(f"{url}{separator}digest={digest}", data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(request).read()
    return digest


def cosign_verify(repo, tag, public_pem, annotations):
    """Cosign's key-based verification written from its specification, independently of the
    sigstore crate: the `sha256-<hex>.sig` manifest of the tag's digest, a simple-signing layer
    naming that digest, an ECDSA-SHA256 signature of the payload bytes under the key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import base64
    key = serialization.load_pem_public_key(public_pem.encode())
    _, digest = manifest(repo, tag)
    body, _ = manifest(repo, digest.replace(":", "-") + ".sig")
    sig_manifest = json.loads(body)
    if sig_manifest.get("mediaType") != OCI_MANIFEST or \
            sig_manifest["config"]["mediaType"] != "application/vnd.oci.image.config.v1+json":
        return f"{repo}:{tag}: the signature manifest is not an OCI image manifest with an OCI config"
    for layer in sig_manifest["layers"]:
        if layer["mediaType"] != "application/vnd.dev.cosign.simplesigning.v1+json":
            continue
        payload, _ = registry("GET", f"{repo}/blobs/{layer['digest']}")
        claims = json.loads(payload)
        signature = base64.b64decode(layer.get("annotations", {}).get("dev.cosignproject.cosign/signature", ""))
        try:
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        except Exception:
            continue
        if (claims["critical"]["type"] == "cosign container image signature"
                and claims["critical"]["image"]["docker-manifest-digest"] == digest
                and all(claims.get("optional", {}).get(k) == v for k, v in annotations.items())):
            return None
    return f"{repo}:{tag}: no layer verifies by cosign's rules (digest, type, signature, annotations)"


def module_of(policy):
    return ROOT / "dist" / f"{policy}.wasm"


def main():
    global KWHOST, HOST
    KWHOST, HOST = str(pathlib.Path(sys.argv[1]).resolve()), sys.argv[2]
    password = secrets.token_urlsafe(18)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        kwhost("generate-key-pair", "--output-prefix", tmp / "cosign", password=password)
        kwhost("generate-key-pair", "--output-prefix", tmp / "other", password=password)
        kwhost("generate-key-pair", "--output-prefix", tmp / "nopass", expect=2, contains="COSIGN_PASSWORD")
        key, pub, other = tmp / "cosign.key", tmp / "cosign.pub", tmp / "other.pub"
        if (key.stat().st_mode & 0o777) != 0o600:
            problems.append(f"the private key's mode is {oct(key.stat().st_mode & 0o777)}, not 0600")
        kwhost("generate-key-pair", "--output-prefix", tmp / "cosign", password=password, expect=2,
               contains="not overwritten")
        config = tmp / "verification.yml"
        indented = "".join(f"      {line}\n" for line in pub.read_text().splitlines())
        config.write_text(f"apiVersion: v1\nallOf:\n  - kind: pubKey\n    owner: ci\n    key: |\n"
                          f"{indented}    annotations:\n      release: ci\n")

        scaffolded = tmp / "scaffolded.yml"
        kwhost("scaffold", "verification-config", "--verification-key", pub, "--verification-annotation",
               "release=ci", "--owner", "ci", "-o", scaffolded)

        server = kwhost("scaffold", "policy-server-config", "--policy",
                        f"rp=registry://{HOST}/policies/restart-policy:v0.1.0,{ROOT}/policies/restart-policy/metadata.yml",
                        "--verification-config-path", scaffolded).stdout
        if f"--verification-path {scaffolded}" not in server:
            problems.append("scaffold policy-server-config does not show --verification-path")

        # 2. Every policy: sign, verify, pull and run through verification.
        for p in POLICIES:
            ref = f"registry://{HOST}/policies/{p}:v0.1.0"
            kwhost("sign", "--insecure", "-k", key, "-a", "release=ci", ref, password=password)
            kwhost("verify", "--insecure", "--verification-key", pub, "--verification-annotation",
                   "release=ci", ref, contains="successfully verified")
            kwhost("verify", "--insecure", "--verification-config-path", config, ref)
            kwhost("verify", "--insecure", "--verification-config-path", scaffolded, ref)
            independent = cosign_verify(f"policies/{p}", "v0.1.0", pub.read_text(), {"release": "ci"})
            if independent:
                problems.append(independent)
            pulled = tmp / f"{p}.wasm"
            kwhost("pull", "--insecure", "--verification-key", pub, ref, "-o", pulled)
            if not pulled.is_file() or pulled.read_bytes() != (ROOT / "dist" / f"{p}.wasm").read_bytes():
                problems.append(f"{p}: the verified pull differs from dist/")
        pushed = f"registry://{HOST}/policies/pushed-signed:v1"
        run = kwhost("push", "--insecure", "-o", "json", "--sign-key", key, "--sign-annotation", "release=ci",
                     module_of("image-provenance"), pushed, password=password)
        if "immutable_ref" not in json.loads(run.stdout or "{}"):
            problems.append("push -o json --sign-key: stdout is not the push's JSON")
        kwhost("verify", "--insecure", "--verification-config-path", config, pushed)
        run = kwhost("run", "--insecure", "--verification-key", pub,
                     f"registry://{HOST}/policies/restart-policy:v0.1.0",
                     "-r", ROOT / "tests/fixtures/restart-policy/job-always.json", "--settings-json", "{}",
                     "--allowed-host-capabilities", "")
        if '"allowed":false' not in run.stdout:
            problems.append(f"run through verification did not judge the fixture: {run.stdout}")

        # 3. Refusals.
        module = module_of
        unsigned = f"registry://{HOST}/policies/unsigned:v1"
        kwhost("push", "--insecure", module("restart-policy"), unsigned)
        kwhost("verify", "--insecure", "--verification-key", pub, unsigned, expect=1, contains="not signed")
        kwhost("pull", "--insecure", "--verification-key", pub, unsigned, "-o", tmp / "x.wasm",
               expect=1, contains="not signed")
        if (tmp / "x.wasm").exists():
            problems.append("a refused pull wrote the module")
        signed = f"registry://{HOST}/policies/restart-policy:v0.1.0"
        kwhost("verify", "--insecure", "--verification-key", other, signed, expect=1,
               contains="no signature by this key")
        kwhost("verify", "--insecure", "--verification-key", pub, "--verification-annotation", "env=prod",
               signed, expect=1, contains="no signature of it carries env=prod")
        kwhost("run", "--insecure", "--verification-key", other, signed, "-r",
               ROOT / "tests/fixtures/restart-policy/job-always.json", expect=1, contains="no signature by this key")

        # A module changed after signing: the signature of one digest copied onto another.
        kwhost("push", "--insecure", module("restart-policy"), f"registry://{HOST}/policies/changed:v1")
        kwhost("sign", "--insecure", "-k", key, f"registry://{HOST}/policies/changed:v1", password=password)
        kwhost("push", "--insecure", module("rbac-least-privilege"), f"registry://{HOST}/policies/changed:v2")
        _, signed_digest = manifest("policies/changed", "v1")
        _, changed_digest = manifest("policies/changed", "v2")
        signature, _ = manifest("policies/changed", signed_digest.replace(":", "-") + ".sig")
        put_manifest("policies/changed", changed_digest.replace(":", "-") + ".sig", signature)
        kwhost("verify", "--insecure", "--verification-key", pub, f"registry://{HOST}/policies/changed:v2",
               expect=1, contains="changed after it was signed")

        # A tag moved to another digest after verification: the tag is refused, the verified
        # digest still verifies and pulls.
        moved = f"registry://{HOST}/policies/moved:v1"
        kwhost("push", "--insecure", module("restart-policy"), moved)
        kwhost("sign", "--insecure", "-k", key, moved, password=password)
        verified = kwhost("verify", "--insecure", "--verification-key", pub, moved).stdout.strip().split()[-1]
        kwhost("push", "--insecure", module("rbac-least-privilege"), moved)
        kwhost("verify", "--insecure", "--verification-key", pub, moved, expect=1, contains="not signed")
        kwhost("pull", "--insecure", "--verification-key", pub, verified, "-o", tmp / "pinned.wasm")
        if (tmp / "pinned.wasm").read_bytes() != module("restart-policy").read_bytes():
            problems.append("the verified digest does not pull the module that was signed")

        # A malformed signature layer.
        kwhost("push", "--insecure", module("secret-handling"), f"registry://{HOST}/policies/malformed:v1")
        _, digest = manifest("policies/malformed", "v1")
        config_digest = put_blob("policies/malformed", b"{}")
        layer = b"this is not a simple-signing payload"
        layer_digest = put_blob("policies/malformed", layer)
        bad = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": 2},
               "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": layer_digest,
                           "size": len(layer), "annotations": {"dev.cosignproject.cosign/signature": "bm90IGEgc2lnbmF0dXJl"}}]}
        put_manifest("policies/malformed", digest.replace(":", "-") + ".sig", json.dumps(bad).encode())
        kwhost("verify", "--insecure", "--verification-key", pub, f"registry://{HOST}/policies/malformed:v1",
               expect=1, contains="a malformed layer")

        # Configs that ask for nothing, and an anyOf too few signatures meet.
        empty = tmp / "empty.yml"
        empty.write_text("apiVersion: v1\nallOf: []\n")
        kwhost("verify", "--insecure", "--verification-config-path", empty, signed, expect=2, contains="no constraint")
        kwhost("verify", "--insecure", signed, expect=2, contains="nothing to verify against")
        any_of = tmp / "any-of.yml"
        other_indented = "".join(f"        {line}\n" for line in other.read_text().splitlines())
        any_of.write_text(f"apiVersion: v1\nanyOf:\n  minimumMatches: 1\n  signatures:\n"
                          f"    - kind: pubKey\n      key: |\n{other_indented}")
        kwhost("verify", "--insecure", "--verification-config-path", any_of, signed, expect=1,
               contains="anyOf: 0 of 1 signatures found")

        # 4. No key material in any output.
        private_lines = [line for line in key.read_text().splitlines() if not line.startswith("-----")]
        for text in outputs:
            if password in text or any(line in text for line in private_lines):
                problems.append("key material or the passphrase appears in an output")
                break
    for p in problems:
        print(f"check-signing: {p}")
    print(f"signing: {len(POLICIES)} policies signed and verified, 9 refusals checked, "
          f"{len(outputs)} outputs free of key material; {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
