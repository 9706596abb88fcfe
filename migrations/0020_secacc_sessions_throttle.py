# Generated from a schema diff on 2026-12-02 07:07.
from peewee import *

# pending_signup.created_at: its default (utcnow) is set by the application, as for every created_at.

def up(migrator, db):
    class PendingSignup(Model):
        token_hash = CharField(unique=True, max_length=64)
        name = CharField(max_length=120)
        email = CharField(index=True, max_length=254)
        phone = CharField(null=True, max_length=20)
        password_hash = CharField()
        language = CharField(null=True, max_length=5)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'pending_signup'
    db.create_tables([PendingSignup])

    migrator.migrate(migrator.add_column('user', 'session_version', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('user', 'security_notice', CharField(max_length=40, default='')))
    migrator.migrate(migrator.add_column('login_attempt', 'kind', CharField(index=True, max_length=10, default='login')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('login_attempt', 'login_attempt_kind'))
    migrator.migrate(migrator.drop_column('login_attempt', 'kind'))
    migrator.migrate(migrator.drop_column('user', 'security_notice'))
    migrator.migrate(migrator.drop_column('user', 'session_version'))
    migrator.migrate(migrator.drop_table('pending_signup'))
