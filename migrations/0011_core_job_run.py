# Generated from a schema diff on 2026-12-02 07:06.
from peewee import *

def up(migrator, db):
    class JobRun(Model):
        name = CharField(unique=True, max_length=80)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        count = IntegerField(default=0)
        error = TextField(default='')
        class Meta:
            database = db
            table_name = 'job_run'
    db.create_tables([JobRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('job_run'))

