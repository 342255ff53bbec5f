"""initial schema
"""
import sqlalchemy as sa

from migrations.helpers import (
    CASCADE, NULL, boolean, code, column, counter, issued, number, create_table, date, drop_tables, enum, fk, index,
    integer, json, money, partial_unique, stamp, string, timestamp,
)

revision = '5a81a9b607bd'
down_revision = None

TERMINATION_REASONS = ('LEFT_REGION', 'VOLUNTARY', 'BREACH', 'DEATH', 'DISABILITY', 'FORCE_MAJEURE')


def upgrade() -> None:
    create_table('admin_account',
        string('username', 80, unique=True),
        string('password_hash', 200),
        enum('role', 'admin_role', ('ADMINISTRATOR', 'AUDITOR')),
        boolean('active'),
        timestamp('created_at'),
        timestamp('last_login_at', NULL),
    )

    create_table('agency',
        code(),
        string('name', 200),
        boolean('active'),
    )

    create_table('applicant',
        string('owner_subject', 200, NULL, index=True),
        string('iin', 12, NULL, index=True),
        string('full_name', 200),
        date('birth_date'),
        enum('sex', 'sex', ('MALE', 'FEMALE')),
        string('citizenship', 3),
        boolean('ethnic_kazakh'),
        string('document_number', 40),
        timestamp('created_at'),
        checks={
            'citizenship_iso3': "length(citizenship) = 3 AND citizenship <> 'KAZ'",
            'iin_len': 'iin IS NULL OR length(iin) = 12',
        },
    )

    create_table('audit_event',
        timestamp('at', index=True),
        string('actor_subject', 200),
        string('actor_role', 40),
        string('action', 80),
        string('entity_type', 60),
        integer('entity_id', NULL),
        json('changes'),
        indexes=[index('ix_audit_event_entity', 'entity_type', 'entity_id')],
    )

    create_table('mrp_value',
        integer('year', unique=True),
        money('amount'),
        checks={
            'amount_positive': 'amount > 0',
            'year_range': 'year BETWEEN 2000 AND 2100',
        },
    )

    create_table('number_sequence',
        string('name', 40),
        integer('value'),
        key='name',
    )

    create_table('occupation',
        string('code', 4, unique=True),
        string('name_en', 200),
        string('name_ru', 200),
        checks={'code_isco4': 'length(code) = 4'},
    )

    create_table('region',
        string('code', 8, unique=True),
        string('name_kk', 120),
        string('name_ru', 120),
        string('name_en', 120),
        enum('kind', 'region_kind', ('oblast', 'city')),
        boolean('labour_deficit'),
        checks={
            'code_iso_kz': "code IN ('KZ-10', 'KZ-11', 'KZ-15', 'KZ-19', 'KZ-23', 'KZ-27', 'KZ-31', 'KZ-33', 'KZ-35', 'KZ-39', 'KZ-43', 'KZ-47', 'KZ-55', 'KZ-59', 'KZ-61', 'KZ-62', 'KZ-63', 'KZ-71', 'KZ-75', 'KZ-79')",
        },
    )

    create_table('scoring_model',
        string('version', 40, unique=True),
        enum('status', 'scoring_model_status', ('DRAFT', 'PUBLISHED', 'RETIRED')),
        date('effective_from'),
        integer('pass_mark'),
        json('definition'),
        timestamp('created_at'),
        string('created_by', 200, NULL),
        timestamp('published_at', NULL),
        checks={'pass_mark_nonneg': 'pass_mark >= 0'},
        indexes=[
            partial_unique('uq_scoring_model_published_effective_from', ['effective_from'], "status = 'PUBLISHED'"),
        ],
    )

    create_table('support_measure',
        code(),
        string('name', 200),
        column('cap_mrp', sa.Numeric(precision=10, scale=2)),
        boolean('per_family_member'),
        checks={'cap_nonneg': 'cap_mrp >= 0'},
    )

    create_table('termination_reason',
        enum('code', 'termination_reason_code', TERMINATION_REASONS, unique=True),
        string('name', 200),
        boolean('refundable'),
    )

    create_table('agency_api_key',
        fk('agency_id', index=True),
        string('prefix', 16, unique=True),
        string('key_hash', 128),
        string('label', 200, NULL),
        timestamp('created_at'),
        timestamp('revoked_at', NULL),
        timestamp('last_used_at', NULL),
    )

    create_table('check_type',
        code(),
        string('name', 200),
        fk('agency_id', index=True),
        boolean('mandatory'),
        boolean('active'),
    )

    create_table('deficit_occupation',
        fk('region_id', index=True),
        fk('occupation_id'),
        integer('year'),
        checks={'year_range': 'year BETWEEN 2000 AND 2100'},
        unique=[('region_id', 'occupation_id', 'year')],
    )

    create_table('quota',
        enum('kind', 'quota_kind', ('KANDAS', 'LABOUR')),
        integer('year'),
        fk('region_id', index=True),
        fk('occupation_id', NULL),
        integer('capacity'),
        counter('used'),
        timestamp('updated_at'),
        checks={
            'occupation_by_kind': "(kind = 'LABOUR' AND occupation_id IS NOT NULL) OR (kind = 'KANDAS' AND occupation_id IS NULL)",
            'capacity_nonneg': 'capacity >= 0',
            'used_within_capacity': 'used >= 0 AND used <= capacity',
            'year_range': 'year BETWEEN 2000 AND 2100',
        },
        indexes=[
            partial_unique('uq_quota_region_year_kandas', ['kind', 'year', 'region_id'], 'occupation_id IS NULL'),
            partial_unique('uq_quota_region_year_occupation', ['kind', 'year', 'region_id', 'occupation_id'], 'occupation_id IS NOT NULL'),
        ],
    )

    create_table('application',
        number(),
        fk('applicant_id', index=True),
        string('owner_subject', 200, NULL, index=True),
        enum('route', 'route', ('KANDAS', 'GENERAL', 'LABOUR')),
        fk('target_region_id', to='region', index=True),
        fk('occupation_id', NULL),
        enum('status', 'application_status', ('SUBMITTED', 'PASSED', 'FAILED', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
        string('citizenship', 3),
        string('document_number', 40),
        string('iin', 12, NULL, index=True),
        timestamp('submitted_at'),
        date('due_date'),
        timestamp('decided_at', NULL),
        string('decision_reason', 1000, NULL),
        integer('seats', NULL),
        fk('quota_id', NULL, index=True),
        timestamp('updated_at'),
        checks={'seats_positive': 'seats IS NULL OR seats > 0'},
        indexes=[
            index('ix_application_doc', 'citizenship', 'document_number'),
            index('ix_application_due_id', 'due_date', 'id'),
            index('ix_application_status_submitted', 'status', 'submitted_at', 'id'),
            index('ix_application_submitted_id', 'submitted_at', 'id'),
        ],
    )

    create_table('check_type_grant',
        fk('agency_id', ondelete=CASCADE),
        fk('check_type_id', ondelete=CASCADE, index=True),
        unique=[('agency_id', 'check_type_id')],
    )

    create_table('selection_round',
        fk('quota_id', index=True),
        stamp('ran'),
        integer('cutoff_score', NULL),
        integer('seats_taken'),
    )

    create_table('check_result',
        fk('application_id', ondelete=CASCADE, index=True),
        fk('check_type_id', index=True),
        enum('status', 'check_status', ('REQUESTED', 'CLEARED', 'FLAGGED', 'REJECTED')),
        string('details', 2000, NULL),
        timestamp('requested_at'),
        timestamp('completed_at', NULL),
        timestamp('updated_at'),
        string('recorded_by', 200, NULL),
        unique=[('application_id', 'check_type_id')],
        indexes=[index('ix_check_result_feed', 'updated_at', 'id')],
    )

    create_table('interview',
        fk('application_id', ondelete=CASCADE, unique=True),
        timestamp('scheduled_at'),
        enum('outcome', 'interview_outcome', ('PASSED', 'FAILED', 'NO_SHOW'), NULL),
        integer('points', NULL),
        string('notes', 2000, NULL),
        timestamp('recorded_at', NULL),
        checks={'points_range': 'points IS NULL OR points BETWEEN 0 AND 10'},
    )

    create_table('language_test',
        fk('application_id', ondelete=CASCADE, unique=True),
        enum('level', 'language_level', ('A1', 'A2', 'B1', 'B2', 'C1')),
        integer('listening_percent'),
        integer('reading_percent'),
        string('certificate_number', 40, unique=True),
        date('taken_on'),
        timestamp('recorded_at'),
        checks={
            'listening_range': 'listening_percent BETWEEN 0 AND 100',
            'reading_range': 'reading_percent BETWEEN 0 AND 100',
        },
    )

    create_table('questionnaire',
        fk('application_id', ondelete=CASCADE, unique=True),
        enum('education_level', 'education_level', ('NONE', 'SECONDARY', 'VOCATIONAL', 'BACHELOR', 'MASTER', 'DOCTORATE')),
        integer('work_experience_years'),
        fk('occupation_id', NULL),
        integer('family_size'),
        enum('russian', 'proficiency_ru', ('NONE', 'BASIC', 'FLUENT')),
        enum('english', 'proficiency_en', ('NONE', 'BASIC', 'FLUENT')),
        boolean('relatives_in_kazakhstan'),
        boolean('prior_stay_in_kazakhstan'),
        boolean('criminal_record'),
        boolean('deported_before'),
        money('savings'),
        timestamp('submitted_at'),
        checks={
            'family_range': 'family_size BETWEEN 1 AND 20',
            'savings_nonneg': 'savings >= 0',
            'experience_range': 'work_experience_years BETWEEN 0 AND 60',
        },
    )

    create_table('score',
        fk('application_id', ondelete=CASCADE, unique=True),
        fk('scoring_model_id', index=True),
        string('model_version', 40),
        integer('total'),
        integer('max_total'),
        integer('pass_mark'),
        boolean('passed'),
        json('result'),
        timestamp('computed_at'),
        checks={'total_range': 'total >= 0 AND total <= max_total'},
        indexes=[index('ix_score_rank', 'total')],
    )

    create_table('selection_round_approval',
        fk('round_id', to='selection_round', ondelete=CASCADE, index=True),
        fk('application_id', unique=True),
        integer('rank'),
        integer('score'),
        integer('seats'),
    )

    create_table('social_contract',
        issued(),
        fk('region_id', index=True),
        integer('family_size'),
        date('start_date'),
        date('end_date'),
        enum('status', 'contract_status', ('ACTIVE', 'COMPLETED', 'TERMINATED')),
        money('total_support'),
        timestamp('created_at'),
        checks={
            'dates_order': 'end_date > start_date',
            'family_range': 'family_size BETWEEN 1 AND 20',
        },
        indexes=[index('ix_social_contract_created_id', 'created_at', 'id')],
    )

    create_table('contract_termination',
        fk('contract_id', to='social_contract', unique=True),
        enum('reason', 'termination_reason', TERMINATION_REASONS),
        date('effective_date'),
        money('refund_due'),
        money('refund_paid'),
        stamp('recorded'),
        checks={
            'refund_due_nonneg': 'refund_due >= 0',
            'refund_paid_range': 'refund_paid >= 0 AND refund_paid <= refund_due',
        },
    )

    _payment('refund_payment')
    _payment('support_payment', fk('measure_id', to='support_measure'))


def _payment(table: str, *what: sa.Column) -> None:
    """A payment on a social contract (a refund, a support measure's): how much, on which day, recorded by whom."""
    create_table(table,
        fk('contract_id', to='social_contract', index=True),
        *what,
        money('amount'),
        date('paid_on'),
        stamp('recorded'),
        checks={'amount_positive': 'amount > 0'},
    )

def downgrade() -> None:
    """Downgrade schema: drop the tables, children first."""
    drop_tables(
        'support_payment', 'refund_payment', 'contract_termination', 'social_contract',
        'selection_round_approval', 'score', 'questionnaire', 'language_test', 'interview',
        'check_result', 'selection_round', 'check_type_grant', 'application', 'quota',
        'deficit_occupation', 'check_type', 'agency_api_key', 'termination_reason',
        'support_measure', 'scoring_model', 'region', 'occupation', 'number_sequence', 'mrp_value',
        'audit_event', 'applicant', 'agency', 'admin_account',
    )
