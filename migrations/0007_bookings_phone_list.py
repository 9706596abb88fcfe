# Generated from a schema diff on 2026-12-02 04:49, then the two drop_not_null added by hand:
# an erased person's past bookings and loans stay, anonymous, without a user (bookings privacy).
from peewee import *

def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    migrator.migrate(migrator.add_column('bookings_loan', 'phone_notice', CharField(max_length=12, default='')))
    migrator.migrate(migrator.add_column('bookings_loan', 'phone_notice_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('bookings_loan', 'phoned_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('bookings_loan', 'phoned_by_id', ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')))
    migrator.migrate(migrator.drop_not_null('bookings_booking', 'user_id'))
    migrator.migrate(migrator.drop_not_null('bookings_loan', 'user_id'))


def down(migrator, db):
    migrator.migrate(migrator.add_not_null('bookings_loan', 'user_id'))
    migrator.migrate(migrator.add_not_null('bookings_booking', 'user_id'))
    migrator.migrate(migrator.drop_index('bookings_loan', 'bookings_loan_phoned_by_id'))
    migrator.migrate(migrator.drop_column('bookings_loan', 'phoned_by_id'))
    migrator.migrate(migrator.drop_column('bookings_loan', 'phoned_at'))
    migrator.migrate(migrator.drop_column('bookings_loan', 'phone_notice_at'))
    migrator.migrate(migrator.drop_column('bookings_loan', 'phone_notice'))
