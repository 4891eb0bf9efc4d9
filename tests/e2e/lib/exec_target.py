#!/usr/bin/env python3
# exec_target.py STATE.json — a toy target system for the exec connector.
# It keeps accounts and group memberships in a JSON file and speaks the exec
# connector protocol: one JSON request on stdin, one JSON answer on stdout.
# Test knobs in the state file: "sleep" (seconds, before answering),
# "fail" (logins whose apply fails with exit status 3).
import json, sys, time

path = sys.argv[1]
req = json.load(sys.stdin)
with open(path) as f:
    st = json.load(f)
if st.get("sleep"):
    time.sleep(st["sleep"])
action, op, system = req["action"], req.get("operation") or {}, req["system"]

def local(x):
    pre = system + ":"
    if not x.startswith(pre):
        sys.stderr.write("not of system %s: %s\n" % (system, x))
        sys.exit(2)
    return x[len(pre):]

def state_of(o):
    kind = o["op"]
    if kind in ("grant", "revoke"):
        return local(o["account"]) in st["groups"].setdefault(local(o["entitlement"]), [])
    if kind in ("disable", "enable"):
        return st["accounts"].setdefault(local(o["account"]), {}).get("disabled", False)
    raise SystemExit("unsupported operation " + kind)

def want(o):
    return {"grant": True, "revoke": False, "disable": True, "enable": False}[o["op"]]

if action == "list":
    print(json.dumps({"accounts": [{"login": k, "disabled": v.get("disabled", False)}
                                   for k, v in st["accounts"].items()],
                      "groups": [{"name": k, "members": v} for k, v in st["groups"].items()]}))
elif action == "plan":
    print(json.dumps({"plan": {"set": op, "currently": state_of(op)}}))
elif action == "readback":
    print(json.dumps({"matches": state_of(op) == want(op)}))
elif action == "inverse":
    cur = state_of(op)
    kind = op["op"]
    if kind in ("grant", "revoke"):
        inv = {"op": "grant" if cur else "revoke", "account": op["account"], "entitlement": op["entitlement"]}
    else:
        inv = {"op": "disable" if cur else "enable", "account": op["account"]}
    print(json.dumps({"inverse": inv}))
elif action == "apply":
    login = local(op["account"])
    if login in st.get("fail", []):
        sys.stderr.write("refusing to change %s\n" % login)
        sys.exit(3)
    changed = state_of(op) != want(op)
    if changed:
        if op["op"] in ("grant", "revoke"):
            g = st["groups"].setdefault(local(op["entitlement"]), [])
            if op["op"] == "grant":
                g.append(login)
            else:
                g.remove(login)
        else:
            st["accounts"].setdefault(login, {})["disabled"] = op["op"] == "disable"
        with open(path + ".tmp", "w") as f:
            json.dump(st, f)
        import os
        os.replace(path + ".tmp", path)
    print(json.dumps({"changed": changed, "detail": "done" if changed else "already so"}))
else:
    sys.exit("unknown action " + action)
