# Reports (issue 16): indexes for the report figures; a pseudonymous reader key on library
# members and loans (distinct readers, even once a loan no longer names its reader); holds of a
# deleted account are kept without a member instead of being deleted.
import secrets

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('library_member', 'reader_key', CharField(max_length=32, default='')))
    migrator.migrate(migrator.add_column('library_loan', 'reader_key', CharField(max_length=32, default='')))
    migrator.migrate(migrator.drop_not_null('library_hold', 'member_id'))
    migrator.migrate(migrator.add_index('library_member', ('library_id', 'reader_key')))
    migrator.migrate(migrator.add_index('library_hold', ('created_at',)))
    migrator.migrate(migrator.add_index('library_hold', ('status', 'closed_at')))
    migrator.migrate(migrator.add_index('bookings_loan', ('checked_out_at',)))
    migrator.migrate(migrator.add_index('bookings_loan', ('returned_at',)))
    # The report figures read loans from an index alone: it replaces the (library_id, issued_at) one.
    migrator.migrate(migrator.drop_index('library_loan', 'loan_library_id_issued_at'))
    migrator.migrate(
        migrator.add_index('library_loan', ('library_id', 'issued_at', 'language', 'member_id', 'reader_key'))
    )
    # Backfill: one random key per person (the same at every library), copied onto the loans that
    # still name their reader. Loans that no longer do keep "" and count one reader each, as before.
    keys = {}
    rows = db.execute_sql('SELECT id, user_id FROM library_member WHERE user_id IS NOT NULL').fetchall()
    for member_id, user_id in rows:
        key = keys.setdefault(user_id, secrets.token_hex(16))
        db.execute_sql('UPDATE library_member SET reader_key = %s WHERE id = %s' % (db.param, db.param), (key, member_id))
    for user_id, key in keys.items():
        db.execute_sql(
            'UPDATE library_loan SET reader_key = %s WHERE member_id = %s' % (db.param, db.param), (key, user_id)
        )
    # A reader with loans but no membership row (not made by the desk): a key of their own.
    rows = db.execute_sql(
        "SELECT DISTINCT member_id FROM library_loan WHERE member_id IS NOT NULL AND reader_key = ''"
    ).fetchall()
    for (user_id,) in rows:
        db.execute_sql(
            'UPDATE library_loan SET reader_key = %s WHERE member_id = %s' % (db.param, db.param),
            (secrets.token_hex(16), user_id),
        )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('library_loan', 'library_loan_library_id_issued_at_language_member_id_reader_key')
    )
    migrator.migrate(migrator.add_index('library_loan', ('library_id', 'issued_at')))
    migrator.migrate(migrator.drop_index('bookings_loan', 'bookings_loan_returned_at'))
    migrator.migrate(migrator.drop_index('bookings_loan', 'bookings_loan_checked_out_at'))
    migrator.migrate(migrator.drop_index('library_hold', 'library_hold_status_closed_at'))
    migrator.migrate(migrator.drop_index('library_hold', 'library_hold_created_at'))
    migrator.migrate(migrator.drop_column('library_loan', 'reader_key'))
    migrator.migrate(migrator.drop_index('library_member', 'library_member_library_id_reader_key'))
    migrator.migrate(migrator.drop_column('library_member', 'reader_key'))
