#!/usr/bin/env python3
"""gen.py — deterministic Cedar workloads for the policy-engine benchmark.

Each workload is a directory holding
  policies.cedar    Cedar policy text
  entities.json     Cedar entity JSON (array of {uid, attrs, parents})
  requests.jsonl    one request per line: {"principal": {"type","id"},
                    "action": {...}, "resource": {...}, "context": {}}
Everything is derived from a fixed seed, so two runs produce the same bytes.

Workloads
  gdrive, github    the two application workloads of the Cedar OOPSLA 2024
                    paper (Cutler et al., "Cedar: A New Language for
                    Expressive, Fast, Safe, and Analyzable Authorization"),
                    rebuilt from their description: N entities of each type
                    (the paper sweeps N = 5..50; we use the largest, 50) and
                    every optional edge present with probability 0.05.
                    gdrive: users, groups, documents and folders; view access
                    is modelled with View entities that documents/folders sit
                    under; owners are attribute sets.  github: users, teams,
                    repositories and organisations; per-repository and
                    per-organisation role entities, and the action hierarchy
                    read < triage < write < maintain < admin.
  scale-<n>         n = 10, 100, 1000, 10000 policies over one organisation of
                    ~100k entities: 90k users in a group tree of depth 8,
                    documents in a folder tree of depth 8.  The policies mix
                    RBAC grants (principal in Group, resource in Folder), owner
                    rules, per-document grants and clearance-based forbids.

Usage: gen.py OUTDIR [--requests N] [--only NAME[,NAME...]] [--small]
  --small builds a reduced organisation (for smoke tests).
Standard library only.
"""
import argparse
import json
import os
import random
import sys


def uid(t, i):
    return {"type": t, "id": i}


def entity(t, i, attrs=None, parents=()):
    return {"uid": uid(t, i), "attrs": attrs or {}, "parents": [uid(*p) for p in parents]}


def write_workload(outdir, name, policies, entities, requests, entities_file=None):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "policies.cedar"), "w") as f:
        f.write(policies)
    ent_path = os.path.join(d, "entities.json")
    if os.path.lexists(ent_path):
        os.remove(ent_path)
    if entities_file:
        # shared by several workloads: one copy on disk
        os.symlink(os.path.relpath(entities_file, d), ent_path)
    else:
        with open(ent_path, "w") as f:
            json.dump(entities, f, separators=(",", ":"))
    with open(os.path.join(d, "requests.jsonl"), "w") as f:
        for r in requests:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    print(f"gen: {name}: {policies.count(';')} policies, "
          f"{len(entities) if entities is not None else 'shared'} entities, "
          f"{len(requests)} requests", file=sys.stderr)


def request(p, a, r, ctx=None):
    return {"principal": uid(*p), "action": uid("Action", a), "resource": uid(*r),
            "context": ctx or {}}


# ---- gdrive -----------------------------------------------------------------
GDRIVE_POLICIES = """\
// Anyone with view access to a document, or to a folder above it (directly or
// through a group), may read it.
@id("view-access")
permit (principal, action == Action::"read", resource)
when { resource in principal.documentsAndFoldersWithViewAccess };

// Public documents are readable by everyone.
@id("public-read")
permit (principal, action == Action::"read", resource)
when { resource has isPublic && resource.isPublic };

// Owners of a document, or of a folder above it, may read, write and share.
@id("owner-rws")
permit (principal, action in [Action::"read", Action::"write", Action::"share"], resource)
when { resource in principal.ownedDocuments || resource in principal.ownedFolders };

// Only direct owners may hand a document over.
@id("owner-change")
permit (principal, action == Action::"changeOwner", resource)
when { principal.ownedDocuments.contains(resource) };

// Owners of a folder may create documents in it.
@id("create-in-owned")
permit (principal, action == Action::"createDocument", resource is Folder)
when { resource in principal.ownedFolders };
"""

GDRIVE_ACTIONS = ["read", "write", "share", "changeOwner", "createDocument"]


def gen_gdrive(rng, n, p, nreq):
    users = [f"user_{i}" for i in range(n)]
    groups = [f"group_{i}" for i in range(n)]
    docs = [f"doc_{i}" for i in range(n)]
    folders = [f"folder_{i}" for i in range(n)]
    ents = [entity("Action", a) for a in GDRIVE_ACTIONS]
    members = {g: [] for g in groups}
    for u in users:
        ingroups = [g for g in groups if rng.random() < p]
        for g in ingroups:
            members[g].append(u)
        owned_docs = [{"__entity": uid("Document", d)} for d in docs if rng.random() < p]
        owned_folders = [{"__entity": uid("Folder", f)} for f in folders if rng.random() < p]
        ents.append(entity("User", u, {
            "documentsAndFoldersWithViewAccess": {"__entity": uid("View", "user:" + u)},
            "ownedDocuments": owned_docs,
            "ownedFolders": owned_folders,
        }, [("Group", g) for g in ingroups]))
        ents.append(entity("View", "user:" + u))
    for g in groups:
        ents.append(entity("Group", g))
        # a group's view grants flow to each member's view entity
        ents.append(entity("View", "group:" + g, parents=[("View", "user:" + u) for u in members[g]]))

    def viewers():
        return ([("View", "user:" + u) for u in users if rng.random() < p] +
                [("View", "group:" + g) for g in groups if rng.random() < p])

    for d in docs:
        parents = [("Folder", f) for f in folders if rng.random() < p] + viewers()
        ents.append(entity("Document", d, {"isPublic": rng.random() < 0.5}, parents))
    for i, f in enumerate(folders):
        # only folders with a smaller index can contain a folder: a DAG
        parents = [("Folder", folders[j]) for j in range(i) if rng.random() < p] + viewers()
        ents.append(entity("Folder", f, {}, parents))
    reqs = []
    for _ in range(nreq):
        res = ("Document", rng.choice(docs)) if rng.random() < 0.6 else ("Folder", rng.choice(folders))
        reqs.append(request(("User", rng.choice(users)), rng.choice(GDRIVE_ACTIONS), res))
    return GDRIVE_POLICIES, ents, reqs


# ---- github -----------------------------------------------------------------
GITHUB_ROLES = ["read", "triage", "write", "maintain", "admin"]
REPO_ROLE_ATTR = {"read": "readers", "triage": "triagers", "write": "writers",
                  "maintain": "maintainers", "admin": "admins"}
ORG_ROLE_ATTR = {"read": "readers", "write": "writers", "admin": "admins"}


def github_policies():
    out = []
    for role, attr in REPO_ROLE_ATTR.items():
        out.append(f'// Holders of the repository role "{role}" may do it and everything below it.\n'
                   f'@id("repo-{role}")\n'
                   f'permit (principal, action in Action::"{role}", resource)\n'
                   f'when {{ principal in resource.{attr} }};\n')
    for role, attr in ORG_ROLE_ATTR.items():
        out.append(f'// Roles in the owning organisation carry over to its repositories.\n'
                   f'@id("org-{role}")\n'
                   f'permit (principal, action in Action::"{role}", resource)\n'
                   f'when {{ principal in resource.owner.{attr} }};\n')
    return "\n".join(out)


def gen_github(rng, n, p, nreq):
    repos = [f"repo_{i}" for i in range(n)]
    users = [f"user_{i}" for i in range(n)]
    teams = [f"team_{i}" for i in range(n)]
    orgs = [f"org_{i}" for i in range(n)]
    ents = []
    # action hierarchy: read in triage in write in maintain in admin
    for lower, upper in zip(GITHUB_ROLES, GITHUB_ROLES[1:] + [None]):
        ents.append(entity("Action", lower, parents=[("Action", upper)] if upper else []))

    def repo_role():
        return ("RepoPermission", f"{rng.choice(repos)}:{rng.choice(list(REPO_ROLE_ATTR.values()))}")

    def org_role(o):
        return ("OrgPermission", f"{o}:{rng.choice(list(ORG_ROLE_ATTR.values()))}")

    for o in orgs:
        parents = [org_role(o2) for o2 in orgs if rng.random() < p]
        ents.append(entity("Organization", o, {a: {"__entity": uid("OrgPermission", f"{o}:{a}")}
                                                for a in ORG_ROLE_ATTR.values()}, parents))
        ents.extend(entity("OrgPermission", f"{o}:{a}") for a in ORG_ROLE_ATTR.values())
    for r in repos:
        attrs = {a: {"__entity": uid("RepoPermission", f"{r}:{a}")} for a in REPO_ROLE_ATTR.values()}
        attrs["owner"] = {"__entity": uid("Organization", rng.choice(orgs))}
        ents.append(entity("Repository", r, attrs))
        ents.extend(entity("RepoPermission", f"{r}:{a}") for a in REPO_ROLE_ATTR.values())
    for i, t in enumerate(teams):
        parents = [("Team", teams[j]) for j in range(i) if rng.random() < p]
        parents += [repo_role() for _ in repos if rng.random() < p]
        ents.append(entity("Team", t, {}, parents))
    for u in users:
        parents = [repo_role() for _ in repos if rng.random() < p]
        parents += [("Team", t) for t in teams if rng.random() < p]
        for o in orgs:
            if rng.random() < p:
                parents.append(("Organization", o))
            if rng.random() < p:
                parents.append(org_role(o))
        ents.append(entity("User", u, {}, parents))
    reqs = [request(("User", rng.choice(users)), rng.choice(GITHUB_ROLES), ("Repository", rng.choice(repos)))
            for _ in range(nreq)]
    return github_policies(), ents, reqs


# ---- scaling ---------------------------------------------------------------
SCALE_ACTIONS = ["view", "comment", "edit", "share", "delete"]


def tree(prefix, depth, branching):
    """Names and parent of each node of a complete tree; returns (levels, parent)."""
    levels, parent = [[f"{prefix}0"]], {}
    count = 1
    for _ in range(1, depth):
        nxt = []
        for node in levels[-1]:
            for _ in range(branching):
                name = f"{prefix}{count}"
                count += 1
                parent[name] = node
                nxt.append(name)
        levels.append(nxt)
    return levels, parent


def gen_scale_org(rng, small):
    nusers, ndocs = (2000, 500) if small else (90000, 4000)
    glevels, gparent = tree("g", 8, 2 if small else 3)
    flevels, fparent = tree("f", 8, 2 if small else 3)
    depts = [f"dept{i}" for i in range(20)]
    ents = [entity("Action", a) for a in SCALE_ACTIONS]
    for lvl in glevels:
        for g in lvl:
            ents.append(entity("Group", g, {}, [("Group", gparent[g])] if g in gparent else []))
    for lvl in flevels:
        for f in lvl:
            ents.append(entity("Folder", f, {}, [("Folder", fparent[f])] if f in fparent else []))
    leaves_g, leaves_f = glevels[-1], flevels[-1]
    users = [f"u{i}" for i in range(nusers)]
    user_groups = {}
    for u in users:
        gs = rng.sample(leaves_g, 1 if rng.random() < 0.7 else 2)
        user_groups[u] = gs
        ents.append(entity("User", u, {"department": rng.choice(depts),
                                       "clearance": rng.randint(0, 4),
                                       "contractor": rng.random() < 0.1},
                           [("Group", g) for g in gs]))
    docs = [f"d{i}" for i in range(ndocs)]
    doc_folder = {}
    for d in docs:
        f = rng.choice(leaves_f) if rng.random() < 0.8 else rng.choice(rng.choice(flevels))
        doc_folder[d] = f
        ents.append(entity("Document", d, {"owner": {"__entity": uid("User", rng.choice(users))},
                                           "classification": rng.randint(0, 4)}, [("Folder", f)]))
    org = {"glevels": glevels, "gparent": gparent, "flevels": flevels, "fparent": fparent,
           "users": users, "user_groups": user_groups, "docs": docs, "doc_folder": doc_folder,
           "depts": depts}
    return ents, org


def ancestors(node, parent):
    out = []
    while node in parent:
        node = parent[node]
        out.append(node)
    return out


def gen_scale_policies(rng, org, n):
    """n policies; returns (text, grants) where grants lists the RBAC grants
    (group, actions, folder) so requests can be aimed at them."""
    allg = [g for lvl in org["glevels"] for g in lvl]
    allf = [f for lvl in org["flevels"] for f in lvl]
    out, grants = [], []
    for i in range(n):
        kind = i % 10
        if kind < 7:
            g, f = rng.choice(allg[1:]), rng.choice(allf[1:])
            acts = rng.sample(SCALE_ACTIONS[:3], rng.randint(1, 2))
            grants.append((g, acts, f))
            alist = ", ".join(f'Action::"{a}"' for a in acts)
            out.append(f'@id("grant{i}")\npermit (principal in Group::"{g}", action in [{alist}], '
                       f'resource in Folder::"{f}");\n')
        elif kind == 7:
            dept = rng.choice(org["depts"])
            act = rng.choice(["edit", "share", "delete"])
            out.append(f'@id("owner{i}")\npermit (principal, action == Action::"{act}", resource is Document)\n'
                       f'when {{ resource.owner == principal && principal.department == "{dept}" }};\n')
        elif kind == 8:
            g, d = rng.choice(allg), rng.choice(org["docs"])
            out.append(f'@id("doc{i}")\npermit (principal in Group::"{g}", action == Action::"view", '
                       f'resource == Document::"{d}")\nunless {{ principal.contractor }};\n')
        else:
            g, f = rng.choice(allg[:40]), rng.choice(allf[:40])
            out.append(f'@id("clearance{i}")\nforbid (principal in Group::"{g}", action, resource in Folder::"{f}")\n'
                       f'when {{ resource.classification > principal.clearance }};\n')
    return "\n".join(out), grants


def gen_scale_requests(rng, org, grants, nreq):
    users_by_leaf = {}
    for u, gs in org["user_groups"].items():
        for g in gs:
            users_by_leaf.setdefault(g, []).append(u)
    docs_under = {}
    for d, f in org["doc_folder"].items():
        for a in [f] + ancestors(f, org["fparent"]):
            docs_under.setdefault(a, []).append(d)
    gparent = org["gparent"]
    leaves_under = {}
    for leaf in org["glevels"][-1]:
        for a in [leaf] + ancestors(leaf, gparent):
            leaves_under.setdefault(a, []).append(leaf)
    reqs = []
    for i in range(nreq):
        if i % 2 == 0 and grants:
            # aimed at a grant: likely allow (unless a forbid applies)
            g, acts, f = rng.choice(grants)
            cands = [lf for lf in leaves_under.get(g, []) if lf in users_by_leaf]
            dl = docs_under.get(f)
            if cands and dl:
                u = rng.choice(users_by_leaf[rng.choice(cands)])
                reqs.append(request(("User", u), rng.choice(acts), ("Document", rng.choice(dl))))
                continue
        reqs.append(request(("User", rng.choice(org["users"])), rng.choice(SCALE_ACTIONS),
                            ("Document", rng.choice(org["docs"]))))
    return reqs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--only", default="")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--oopsla-n", type=int, default=50)
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only or name.split("-")[0] in only
    os.makedirs(args.outdir, exist_ok=True)

    if want("gdrive"):
        write_workload(args.outdir, "gdrive", *gen_gdrive(random.Random(101), args.oopsla_n, 0.05, args.requests))
    if want("github"):
        write_workload(args.outdir, "github", *gen_github(random.Random(202), args.oopsla_n, 0.05, args.requests))
    sizes = [n for n in (10, 100, 1000, 10000) if want(f"scale-{n}")]
    if sizes:
        ents, org = gen_scale_org(random.Random(303), args.small)
        shared = os.path.join(args.outdir, "scale-entities.json")
        with open(shared, "w") as f:
            json.dump(ents, f, separators=(",", ":"))
        print(f"gen: scale organisation: {len(ents)} entities", file=sys.stderr)
        for n in sizes:
            rng = random.Random(400 + n)
            text, grants = gen_scale_policies(rng, org, n)
            reqs = gen_scale_requests(rng, org, grants, args.requests)
            write_workload(args.outdir, f"scale-{n}", text, None, reqs, entities_file=shared)


if __name__ == "__main__":
    main()
