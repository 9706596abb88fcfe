# The phone list's reasons in the reader's language: a reminder's reason (sent_notice) and a call's
# reason (phone_call_log) are also kept as a msgid and its parameters (`portal.phrases` JSON) and
# translated when shown. Rows written before keep only their Italian text and show it as it was.
from peewee import TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column('phone_call_log', 'reason_phrase', TextField(default='')))
    migrator.migrate(migrator.add_column('sent_notice', 'reason_phrase', TextField(default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sent_notice', 'reason_phrase'))
    migrator.migrate(migrator.drop_column('phone_call_log', 'reason_phrase'))
