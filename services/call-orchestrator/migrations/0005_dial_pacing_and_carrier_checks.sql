-- The carrier's calls-per-second budget (a token bucket), shared by every replica: one
-- row, locked by the dialer while it claims due timers, so two replicas never spend the
-- same token. Created by the first claim, full.
create table dial_pacing (
    id          boolean primary key default true check (id),
    tokens      double precision not null check (tokens >= 0),
    refilled_at timestamptz      not null
);

-- Whose turn it is: each tenant's latest dial has a turn number, and among tenants with
-- due calls the one served longest ago goes first (round-robin across tenants).
create sequence dial_turn;
create table dial_turns (
    tenant_id uuid   primary key,
    last_turn bigint not null
);

-- When the reconcile sweep last asked the carrier about a live attempt whose status
-- callbacks stopped coming (Twilio does not retry them); null until it first did. The
-- next check is due one deadline after the later of this and the attempt's last change.
alter table call_attempts add column carrier_checked_at timestamptz;

-- Live attempts are few: counted per tenant at every claim (the per-tenant limit), and
-- swept for overdue carrier checks.
create index call_attempts_live on call_attempts (updated_at)
    where state in ('dialing', 'placed', 'connected');

-- A live call that ends frees a place under its tenant's limit: wake the dialer (on the
-- channel its timers use) rather than leave a waiting tenant to the next sweep.
create trigger call_attempts_ended after update of state on call_attempts
    for each row
    when (old.state in ('dialing', 'placed', 'connected')
          and new.state not in ('dialing', 'placed', 'connected'))
    execute function notify_call_timer();
