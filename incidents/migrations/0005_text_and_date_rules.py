# Text and date rules (core.text, core.dates) as field classes: validation only, no SQL.

import django.core.validators
import django.utils.timezone
from django.db import migrations, models

import core.dates
import core.text


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_timeline_time_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="actionitem",
            name="due_date",
            field=models.DateField(validators=[core.dates.validate_planned_date]),
        ),
        migrations.AlterField(
            model_name="actionitem",
            name="ticket_url",
            field=models.URLField(
                blank=True,
                help_text="The ticket in another tracker (http or https).",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(schemes=["http", "https"]),
                    core.text.validate_short_text,
                ],
            ),
        ),
        migrations.AlterField(
            model_name="actionitem",
            name="title",
            field=core.text.ShortTextField(max_length=200),
        ),
        migrations.AlterField(
            model_name="affectedsystem",
            name="impact_end",
            field=models.DateTimeField(
                blank=True, null=True, validators=[core.dates.validate_event_time]
            ),
        ),
        migrations.AlterField(
            model_name="affectedsystem",
            name="impact_start",
            field=models.DateTimeField(
                blank=True, null=True, validators=[core.dates.validate_event_time]
            ),
        ),
        migrations.AlterField(
            model_name="affectedsystem",
            name="name",
            field=core.text.ShortTextField(max_length=200),
        ),
        migrations.AlterField(
            model_name="affectedsystem",
            name="owner",
            field=core.text.ShortTextField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="containmentchange",
            name="note",
            field=models.TextField(blank=True, validators=[core.text.validate_short_text]),
        ),
        migrations.AlterField(
            model_name="finding",
            name="body",
            field=core.text.MultilineTextField(),
        ),
        migrations.AlterField(
            model_name="incident",
            name="aware_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the organisation became aware: the start of every regulatory clock.",
                validators=[core.dates.validate_event_time],
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="description",
            field=core.text.MultilineTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="incident",
            name="discovered_at",
            field=models.DateTimeField(
                blank=True, null=True, validators=[core.dates.validate_event_time]
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="discovery_method",
            field=core.text.MultilineTextField(blank=True, help_text="How was it discovered?"),
        ),
        migrations.AlterField(
            model_name="incident",
            name="occurred_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Estimated start of the incident.",
                null=True,
                validators=[core.dates.validate_event_time],
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="title",
            field=core.text.ShortTextField(max_length=200),
        ),
        migrations.AlterField(
            model_name="task",
            name="due_date",
            field=models.DateField(
                blank=True, null=True, validators=[core.dates.validate_planned_date]
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="title",
            field=core.text.ShortTextField(max_length=200),
        ),
        migrations.AlterField(
            model_name="timelineentry",
            name="body",
            field=core.text.MultilineTextField(),
        ),
        migrations.AlterField(
            model_name="timelineentry",
            name="occurred_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, validators=[core.dates.validate_event_time]
            ),
        ),
    ]
