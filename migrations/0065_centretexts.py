# A centre and its services in several languages: staff's translation of a centre's summary and
# directions (site_text) and of each service's name, description and schedule (service_text), one
# row per centre/service and interface language (unique). Readers in that language see it.
from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class Service(Model):
        class Meta:
            database = db
            table_name = 'service'

    class SiteText(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        language = CharField(max_length=8)
        summary = TextField(default='')
        how_to_get_there = TextField(default='')
        updated_at = DateTimeField()  # the model fills it (portal.clock.utcnow)

        class Meta:
            database = db
            table_name = 'site_text'
            indexes = ((('site', 'language'), True),)

    class ServiceText(Model):
        service = ForeignKeyField(Service, on_delete='CASCADE')
        language = CharField(max_length=8)
        name = CharField(max_length=120, default='')
        description = TextField(default='')
        schedule = CharField(max_length=200, default='')
        updated_at = DateTimeField()  # the model fills it (portal.clock.utcnow)

        class Meta:
            database = db
            table_name = 'service_text'
            indexes = ((('service', 'language'), True),)

    db.create_tables([SiteText, ServiceText])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_text'))
    migrator.migrate(migrator.drop_table('site_text'))
