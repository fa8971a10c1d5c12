#!/usr/bin/python3
"""Scale data for ./dev bench (issue 8): writes an LDIF for slapadd -q and an
SQL script for the dev stack's database.

  100,000 people        uid=bench000001 .. bench100000 (password: the one given)
  10,000 accounts       ids from FIRST_ID: one partner P (FIRST_ID) under the
                        operator account with 5,000 customer children, and
                        4,999 more partners under the operator account
  role groups           4 per account; each account's admin is one person,
                        each has two members
  bench000001           admin of P (the overview, the partner page)
  bench000002           member of P's first 300 children (/me of a person in
                        300 accounts)
  bench000003           admin of P's children 301..400 (the write case)

Usage: scale_data.py BASE_DN OPERATOR_ID PASSWORD_HASH LDIF_OUT SQL_OUT
"""
import random
import sys

FIRST_ID = 1000000
PEOPLE = 100000
CHILDREN = 5000
ACCOUNTS = 10000
ROLES = ("admin", "service-provider", "billing", "member")


def person_dn(i, base):
    return f"uid=bench{i:06d},ou=people,{base}"


def main():
    base, operator_id, pw_hash, ldif_path, sql_path = sys.argv[1:6]
    rnd = random.Random(8)
    with open(ldif_path, "w") as out:
        for i in range(1, PEOPLE + 1):
            out.write(f"dn: {person_dn(i, base)}\nobjectClass: top\nobjectClass: person\n"
                      f"objectClass: organizationalPerson\nobjectClass: inetOrgPerson\n"
                      f"uid: bench{i:06d}\ncn: Bench Person {i}\nsn: Person {i}\n"
                      f"givenName: Bench\nmail: bench{i:06d}@bench.example.org\n"
                      f"userPassword: {pw_hash}\n\n")
        for n in range(ACCOUNTS):
            aid = FIRST_ID + n
            out.write(f"dn: ou={aid},ou=accounts,{base}\nobjectClass: top\n"
                      f"objectClass: organizationalUnit\nou: {aid}\n\n")
            members = {r: [] for r in ROLES}
            if n == 0:
                members["admin"].append(1)
            else:
                members["admin"].append(4 + n % (PEOPLE - 4))
            members["member"] += [4 + (n * 7 + 1) % (PEOPLE - 4), 4 + (n * 13 + 2) % (PEOPLE - 4)]
            if 1 <= n <= 300:
                members["member"].append(2)
            if 301 <= n <= 400:
                members["admin"].append(3)
            for role in ROLES:
                out.write(f"dn: cn={role},ou={aid},ou=accounts,{base}\nobjectClass: top\n"
                          f"objectClass: accountdRoleGroup\ncn: {role}\naccountdAccountId: {aid}\n")
                for m in members[role]:
                    out.write(f"member: {person_dn(m, base)}\n")
                out.write("\n")
    with open(sql_path, "w") as out:
        out.write("SET unique_checks=0; SET foreign_key_checks=0; START TRANSACTION;\n")
        rows = []
        for n in range(ACCOUNTS):
            aid = FIRST_ID + n
            if n == 0:
                kind, parent, name = "partner", operator_id, "Bench Partner"
            elif n <= CHILDREN:
                kind, parent = "customer", FIRST_ID
                name = f"Bench Customer {rnd.randrange(10**8):08d} {n}"
            else:
                kind, parent, name = "partner", operator_id, f"Bench Partner {n}"
            rows.append(f"({aid},'{kind}',{parent},'{name}','{name} GmbH','Ringstrasse {n}',"
                        f"'1010','Wien','AT','bench000001','done')")
            if len(rows) == 1000:
                out.write("INSERT INTO accounts (id, kind, parent_id, name, company_name,"
                          " company_street, company_postcode, company_city, company_country,"
                          " created_by, ldap_state) VALUES\n" + ",\n".join(rows) + ";\n")
                rows = []
        out.write(f"INSERT INTO account_contacts (account_id, kind, uid) VALUES"
                  f" ({FIRST_ID}, 'primary', 'bench000001');\n")
        out.write(f"INSERT INTO notification_recipients (account_id, email, position) VALUES"
                  f" ({FIRST_ID}, 'billing@bench.example.org', 1),"
                  f" ({FIRST_ID}, 'ops@bench.example.org', 2);\n")
        out.write("COMMIT;\n")


if __name__ == "__main__":
    main()
