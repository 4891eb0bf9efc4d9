#!/usr/bin/env python3
# gen.py ACCOUNTS MEMBERSHIPS OUTDIR — a synthetic directory for the sync
# benchmark: OUTDIR/dir.ldif (base, ou=people with ACCOUNTS inetOrgPerson
# entries, ou=groups with groupOfNames groups holding MEMBERSHIPS member
# values in total, 1000 members per group) and OUTDIR/identities.csv (an
# identity for 95% of the accounts, so 5% are orphans).
import sys
n, m, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = "dc=example,dc=org"
per_group = 1000
groups = max(1, (m + per_group - 1) // per_group)
with open(out + "/dir.ldif", "w") as f:
    w = f.write
    w("dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n" % base)
    w("dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n" % base)
    w("dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n" % base)
    for i in range(n):
        w("dn: uid=u%07d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: u%07d\ncn: u%07d\nsn: u\n\n" % (i, base, i, i))
    w("dn: cn=disabled,ou=groups,%s\nobjectClass: groupOfNames\ncn: disabled\nmember: cn=placeholder,%s\n\n" % (base, base))
    left = m
    for g in range(groups):
        k = min(per_group, left)
        left -= k
        w("dn: cn=g%05d,ou=groups,%s\nobjectClass: groupOfNames\ncn: g%05d\n" % (g, base, g))
        start = (g * 7919) % n
        for j in range(k):
            w("member: uid=u%07d,ou=people,%s\n" % ((start + j * 13) % n, base))
        w("\n")
with open(out + "/identities.csv", "w") as f:
    f.write("id,kind,name,department,status\n")
    for i in range(n):
        if i % 20:
            f.write("u%07d,human,User %d,dept%d,active\n" % (i, i, i % 50))
with open(out + "/systems.csv", "w") as f:
    f.write("id,name,domain,owner,criticality\ndir,Directory,corp,,high\n")
