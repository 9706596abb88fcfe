# A library member's row outlives the person's account (it counts in the monthly
# figures of new members): when the account is deleted, the link becomes NULL.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.drop_not_null('library_member', 'user_id'))
