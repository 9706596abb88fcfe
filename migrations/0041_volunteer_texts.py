# Ways to help in several languages: staff's translation of an opportunity's title and description,
# one row per opportunity and interface language (unique).
from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class Opportunity(Model):
        class Meta:
            database = db
            table_name = 'vol_opportunity'

    class OpportunityText(Model):
        opportunity = ForeignKeyField(Opportunity, on_delete='CASCADE')
        language = CharField(max_length=8)
        title = CharField(max_length=140)
        description = TextField(default='')
        updated_at = DateTimeField()  # the model fills it (portal.clock.utcnow)

        class Meta:
            database = db
            table_name = 'vol_opportunity_text'
            indexes = ((('opportunity', 'language'), True),)

    db.create_tables([OpportunityText])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('vol_opportunity_text'))
