"""The rights holder's allow-list of authorised resellers, the sworn statement that an authorisation ended on the
claims that name such sellers, and the entry each such claim item was flagged by."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0011_redress_and_abuse_control'),
        ('listings', '0003_add_listing_snapshot'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='states_authorisation_ended',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='AuthorisedSeller',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('authorised_from', models.DateField()),
                ('authorised_until', models.DateField(blank=True, null=True)),
                ('note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('ended_on', models.DateField(blank=True, null=True)),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('end_reason', models.TextField(blank=True)),
                ('declared_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ended_by_claim', models.ForeignKey(blank=True, help_text='The claim whose complainant swore the authorisation had ended.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='complaints.claim')),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='authorised_sellers', to='complaints.ipright')),
                ('seller', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='listings.seller')),
            ],
            options={
                'ordering': ['-authorised_from', '-id'],
            },
        ),
        migrations.AddField(
            model_name='claimitem',
            name='authorised_seller',
            field=models.ForeignKey(blank=True, help_text="The complainant's allow-list entry for this seller that was in force when the claim was filed (the complainant swore it had ended).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claim_items', to='complaints.authorisedseller'),
        ),
        migrations.AddIndex(
            model_name='authorisedseller',
            index=models.Index(fields=['right', 'seller'], name='authorisedseller_right_idx'),
        ),
    ]
