"""Strata's tables as unmanaged models (Strata's migrations own the schema)."""

from django.db import models


class Category(models.Model):
    app = models.CharField(max_length=32)
    name_fa = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    slug = models.CharField(max_length=120)

    class Meta:
        managed = False
        db_table = "taxonomy_category"


class Tag(models.Model):
    name_fa = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    slug = models.CharField(max_length=120)

    class Meta:
        managed = False
        db_table = "taxonomy_tag"


class Option(models.Model):
    name_fa = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    slug = models.CharField(max_length=120)
    group = models.CharField(max_length=100)
    group_fa = models.CharField(max_length=100)
    group_en = models.CharField(max_length=100)
    position = models.IntegerField()

    class Meta:
        managed = False
        db_table = "taxonomy_option"


class Property(models.Model):
    title_fa = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    slug = models.CharField(max_length=220)
    description_fa = models.TextField()
    description_en = models.TextField()
    deal = models.CharField(max_length=8)
    # Hundredths, as Strata stores amounts.
    price = models.BigIntegerField()
    deposit = models.BigIntegerField(null=True)
    area = models.BigIntegerField()
    rooms = models.IntegerField()
    city_fa = models.CharField(max_length=100)
    city_en = models.CharField(max_length=100)
    district_fa = models.CharField(max_length=100)
    district_en = models.CharField(max_length=100)
    address_fa = models.CharField(max_length=300)
    address_en = models.CharField(max_length=300)
    city_key_fa = models.CharField(max_length=100)
    city_key_en = models.CharField(max_length=100)
    status = models.CharField(max_length=16)
    featured = models.BooleanField()
    category = models.ForeignKey(Category, null=True, on_delete=models.DO_NOTHING)
    published_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "real_estate_property"


class PropertyTag(models.Model):
    pk = models.CompositePrimaryKey("property_id", "tag_id")
    property_id = models.BigIntegerField()
    tag = models.ForeignKey(Tag, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "real_estate_property_tag"


class PropertyOption(models.Model):
    pk = models.CompositePrimaryKey("property_id", "option_id")
    property_id = models.BigIntegerField()
    option = models.ForeignKey(Option, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "real_estate_property_option"


class Image(models.Model):
    owner_type = models.CharField(max_length=32)
    owner_id = models.BigIntegerField()
    position = models.IntegerField()
    file = models.CharField(max_length=255)
    width = models.IntegerField()
    height = models.IntegerField()
    alt = models.CharField(max_length=200)

    class Meta:
        managed = False
        db_table = "media_image"


class Rendition(models.Model):
    image = models.ForeignKey(Image, on_delete=models.DO_NOTHING)
    width = models.IntegerField()
    height = models.IntegerField()
    format = models.CharField(max_length=8)
    file = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "media_rendition"
