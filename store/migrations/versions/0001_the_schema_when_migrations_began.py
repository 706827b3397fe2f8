"""The schema when migrations began: every table as store/models.py declared it then.

Revision ID: 0001
Revises: (none)
Created: 2026-12-07 14:49:40.805057
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'subject')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_created_at'), ['created_at'], unique=False)

    op.create_table('applicant_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('snapshot', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    with op.batch_alter_table('applicant_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applicant_records_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('applications',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('applicant_user', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loan_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('payload', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('process_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_applicant_user'), ['applicant_user'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_workflow_id'), ['workflow_id'], unique=False)

    op.create_table('decision_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inputs_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('rules_version', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id', 'element_id', 'occurrence', 'kind')
    )
    with op.batch_alter_table('decision_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_records_application_id'), ['application_id'], unique=False)

    op.create_table('disbursements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    op.create_table('documents',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_owner'), ['owner'], unique=False)

    op.create_table('loan_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('defaulted', sa.Boolean(), nullable=False),
    sa.Column('observed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'kind')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_application_id'), ['application_id'], unique=False)

    op.create_table('process_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loan_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('bpmn_xml', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('executable_xml', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dmn_xml', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('process_id', 'version')
    )
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definitions_loan_type'), ['loan_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definitions_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definitions_sha256'), ['sha256'], unique=False)

    op.create_table('process_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('bpmn_xml', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dmn_xml', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('based_on_version', sa.Integer(), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('process_id', 'updated_by')
    )
    with op.batch_alter_table('process_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_drafts_process_id'), ['process_id'], unique=False)

    op.create_table('score_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('features', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pd', sa.Float(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'model')
    )
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_snapshots_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_snapshots_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_snapshots_model'), ['model'], unique=False)

    op.create_table('task_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('from_user', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('to_user', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_events_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_events_task_id'), ['task_id'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('loan_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('excluded_users', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('required_skills', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('min_authority', sa.Float(), nullable=False),
    sa.Column('effort', sa.Float(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('assignment_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('referred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('waiting_seconds', sa.Float(), nullable=False),
    sa.Column('remind_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_assignee'), ['assignee'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_status'), ['status'], unique=False)
        batch_op.create_index('ix_tasks_status_assignee', ['status', 'assignee'], unique=False)
        batch_op.create_index('ix_tasks_status_claimed', ['status', 'claimed_by'], unique=False)
        batch_op.create_index('ix_tasks_status_role', ['status', 'role'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('roles', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('skills', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('languages', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('industries', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('authority_limit', sa.Float(), nullable=False),
    sa.Column('capacity', sa.Float(), nullable=False),
    sa.Column('supervisor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('away_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('away_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('delegate', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_username'), ['username'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_username'))

    op.drop_table('users')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_role')
        batch_op.drop_index('ix_tasks_status_claimed')
        batch_op.drop_index('ix_tasks_status_assignee')
        batch_op.drop_index(batch_op.f('ix_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_tasks_role'))
        batch_op.drop_index(batch_op.f('ix_tasks_due_at'))
        batch_op.drop_index(batch_op.f('ix_tasks_assignee'))
        batch_op.drop_index(batch_op.f('ix_tasks_application_id'))

    op.drop_table('tasks')
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_events_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_events_at'))
        batch_op.drop_index(batch_op.f('ix_task_events_application_id'))

    op.drop_table('task_events')
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_snapshots_model'))
        batch_op.drop_index(batch_op.f('ix_score_snapshots_created_at'))
        batch_op.drop_index(batch_op.f('ix_score_snapshots_application_id'))

    op.drop_table('score_snapshots')
    with op.batch_alter_table('process_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_drafts_process_id'))

    op.drop_table('process_drafts')
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definitions_sha256'))
        batch_op.drop_index(batch_op.f('ix_process_definitions_process_id'))
        batch_op.drop_index(batch_op.f('ix_process_definitions_loan_type'))

    op.drop_table('process_definitions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_application_id'))

    op.drop_table('notifications')
    op.drop_table('loan_outcomes')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_owner'))
        batch_op.drop_index(batch_op.f('ix_documents_created_at'))

    op.drop_table('documents')
    op.drop_table('disbursements')
    with op.batch_alter_table('decision_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_records_application_id'))

    op.drop_table('decision_records')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_workflow_id'))
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_created_at'))
        batch_op.drop_index(batch_op.f('ix_applications_applicant_user'))

    op.drop_table('applications')
    with op.batch_alter_table('applicant_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicant_records_fingerprint'))

    op.drop_table('applicant_records')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_created_at'))

    op.drop_table('alerts')
