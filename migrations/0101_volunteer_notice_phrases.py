# Volunteering's calls to make (vol_notice) keep their reason also as a msgid and its parameters
# (`portal.phrases` JSON), so staff read it in their language on the phone list. Rows written
# before keep only their finished text and show it as it was.
from peewee import TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column('vol_notice', 'reason_phrase', TextField(default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('vol_notice', 'reason_phrase'))
