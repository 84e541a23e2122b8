"""The review desk: each user's desk settings, and decisions that can be taken back

Revision ID: 0003a
Revises: 0002

`user.preferences` (JSON, `{}` for every user so far) keeps a reviewer's own desk settings, such
as keyboard shortcuts turned off. `decision_undo` keeps, for a while, what the drafts of a decision
were before it, so "Fortryd" can put them back.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import store.models

revision = '0003a'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferences', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_table('decision_undo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('undone_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('decision_undo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_undo_actor'), ['actor'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('decision_undo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_undo_actor'))
    op.drop_table('decision_undo')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('preferences')
