import {
  Button,
  Checkbox,
  Form,
  InlineNotification,
  Select,
  SelectItem,
  SkeletonText,
  Stack,
  TextInput,
  Toggle,
} from '@carbon/react';
import type { NamespaceSummary, UpdateNamespaceBody } from '@berth/contract';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useUpdateNamespace } from '../../api/namespaces';
import { useNamespaceAccess } from '../../app/access';
import { useToasts } from '../../app/ToastProvider';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatBytes } from '../../lib/format';
import { QuotaBar } from '../storage/QuotaBar';
import { quotaUse } from '../storage/quota-use';
import { NamespaceLayout } from './NamespaceLayout';
import { QUOTA_UNITS, quotaFromForm, quotaToForm, type QuotaUnit } from './quota';

export function NamespaceSettingsPage() {
  const namespace = useParams().namespace ?? '';
  const { summary, canManage } = useNamespaceAccess(namespace);
  return (
    <NamespaceLayout namespace={namespace} tab="settings">
      {summary.data ? (
        // Keyed by the saved values: after a save the form starts again from what is stored.
        <SettingsForm
          key={`${summary.data.public}-${summary.data.quotaBytes}`}
          summary={summary.data}
          readOnly={!canManage}
        />
      ) : summary.isPending ? (
        <SkeletonText paragraph lineCount={4} width="24rem" />
      ) : null}
    </NamespaceLayout>
  );
}

function SettingsForm({ summary, readOnly }: { summary: NamespaceSummary; readOnly: boolean }) {
  const toasts = useToasts();
  const update = useUpdateNamespace();
  const saved = summary.quotaBytes !== null ? quotaToForm(summary.quotaBytes) : null;
  const savedUse = quotaUse(summary);
  const [isPublic, setPublic] = useState(summary.public);
  const [limited, setLimited] = useState(summary.quotaBytes !== null);
  const [amount, setAmount] = useState(saved?.amount ?? '');
  const [unit, setUnit] = useState<QuotaUnit>(saved?.unit ?? 'GiB');
  const [submitted, setSubmitted] = useState(false);
  const quota = limited ? quotaFromForm(amount, unit) : null;
  const quotaBytes = quota === null ? null : quota.ok ? quota.bytes : undefined;
  const amountError = submitted && quota && !quota.ok ? quota.error : null;

  const body: UpdateNamespaceBody = {};
  if (isPublic !== summary.public) body.public = isPublic;
  if (quotaBytes !== undefined && quotaBytes !== summary.quotaBytes) body.quotaBytes = quotaBytes;
  const dirty =
    isPublic !== summary.public ||
    limited !== (summary.quotaBytes !== null) ||
    'quotaBytes' in body;

  const save = () => {
    setSubmitted(true);
    if (update.isPending || readOnly || (quota && !quota.ok)) return;
    update.mutate(
      { namespace: summary.name, body },
      {
        onSuccess: (next) =>
          toasts.show({
            kind: 'success',
            title: `Settings of ${next.name} saved`,
            subtitle: `${next.public ? 'Public' : 'Private'}; ${
              next.quotaBytes === null ? 'no quota' : `quota ${formatBytes(next.quotaBytes)}`
            }.`,
          }),
      },
    );
  };

  return (
    <Form
      className="berth-settings-form"
      aria-label={`Settings of ${summary.name}`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <Stack gap={7}>
        {readOnly ? (
          <InlineNotification
            kind="info"
            lowContrast
            hideCloseButton
            title="Read only."
            subtitle={`Only a manager of ${summary.name} can change its settings.`}
          />
        ) : null}
        <div>
          <Toggle
            id="namespace-public"
            labelText="Public access"
            labelA="Private: members only"
            labelB="Public: anyone can pull"
            toggled={isPublic}
            readOnly={readOnly}
            onToggle={(checked) => {
              setPublic(checked);
              update.reset();
            }}
          />
          {isPublic && !summary.public ? (
            <InlineNotification
              kind="warning"
              lowContrast
              hideCloseButton
              title="Anyone who can reach this registry will pull these images."
              subtitle="No sign-in needed. Pushing and deleting still need a role here."
            />
          ) : null}
        </div>
        <fieldset className="berth-settings-form__quota">
          <legend className="cds--label">Storage quota</legend>
          <p className="berth-settings-form__usage">
            {savedUse
              ? ''
              : `Using ${formatBytes(summary.sizeBytes)} now${
                  summary.trashSizeBytes > 0
                    ? `, and ${formatBytes(summary.trashSizeBytes)} in the trash`
                    : ''
                }. `}
            Pushes that would go over the quota are refused with a clear error. The quota counts
            live images only, not the trash.
          </p>
          {savedUse ? (
            <QuotaBar use={savedUse} trashBytes={summary.trashSizeBytes} label="Saved quota" />
          ) : null}
          <Checkbox
            id="namespace-quota-limited"
            labelText="Limit storage"
            checked={limited}
            readOnly={readOnly}
            onChange={(_event, { checked }) => {
              setLimited(checked);
              update.reset();
            }}
          />
          {limited ? (
            <div className="berth-settings-form__amount">
              <TextInput
                id="namespace-quota-amount"
                labelText="Quota"
                inputMode="decimal"
                autoComplete="off"
                readOnly={readOnly}
                value={amount}
                invalid={amountError !== null}
                invalidText={amountError ?? undefined}
                onChange={(event) => {
                  setAmount(event.target.value);
                  update.reset();
                }}
              />
              <Select
                id="namespace-quota-unit"
                labelText="Unit"
                value={unit}
                readOnly={readOnly}
                onChange={(event) => setUnit(event.target.value as QuotaUnit)}
              >
                {QUOTA_UNITS.map((u) => (
                  <SelectItem key={u} value={u} text={u} />
                ))}
              </Select>
            </div>
          ) : null}
        </fieldset>
        {update.error ? (
          <ErrorNotification error={update.error} title="Settings not saved" />
        ) : null}
        {readOnly ? null : (
          <div>
            <Button type="submit" disabled={update.isPending || !dirty}>
              {update.isPending ? 'Saving…' : 'Save settings'}
            </Button>
          </div>
        )}
      </Stack>
    </Form>
  );
}
