import { Button, Checkbox, Form, Modal, NumberInput, TextInput, Toggle } from '@carbon/react';
import { View } from '@carbon/icons-react';
import {
  MAX_KEEP_COUNT,
  MAX_PROTECT_UNSCANNED_DAYS,
  type RetentionPolicy,
  type RetentionRules,
} from '@berth/contract';
import { useEffect, useState } from 'react';
import { useBlocker } from 'react-router';
import type { ApiError } from '../../api/client';
import { useSaveRetentionPolicy } from '../../api/retention';
import { useToasts } from '../../app/ToastProvider';
import { DateText } from '../../components/DateText';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatDailyUtc, formatUtcWithLocal } from '../../lib/zoned-time';
import {
  formValuesFrom,
  isDirty,
  policyBodyFrom,
  rulesFrom,
  showsDefaults,
  validatePolicy,
  validateRules,
  type PolicyFormErrors,
  type PolicyFormValues,
} from './policy-form';

const PATTERN_HELP = 'Comma-separated. * matches any run of characters, ? exactly one.';

interface PolicyFormProps {
  namespace: string;
  policy: RetentionPolicy;
  onPreview: (rules: RetentionRules) => void;
  isPreviewing: boolean;
  previewError: ApiError | null;
  /** Not a manager of the namespace: the policy is shown, not changed or previewed. */
  readOnly: boolean;
}

function PolicyStatus({ policy, values }: { policy: RetentionPolicy; values: PolicyFormValues }) {
  if (!policy.saved) {
    return (
      <p className="berth-muted">
        {showsDefaults(values, policy)
          ? 'No policy saved yet: these are the defaults.'
          : 'No policy saved yet: these settings are changed from the defaults and not saved.'}{' '}
        Nothing runs on a schedule until a policy is saved with Run daily on.
      </p>
    );
  }
  return (
    <p className="berth-muted">
      Saved {policy.updatedBy ? `by ${policy.updatedBy} ` : ''}on{' '}
      <DateText iso={policy.updatedAt} />.{' '}
      {policy.enabled && policy.nextRunAt
        ? `Next daily run: ${formatUtcWithLocal(policy.nextRunAt)}.`
        : 'Daily runs are off.'}
    </p>
  );
}

/** Mounted only while a navigation waits: focus goes back to what started it on Stay. */
function LeaveUnsavedModal({
  namespace,
  onLeave,
  onStay,
}: {
  namespace: string;
  onLeave: () => void;
  onStay: () => void;
}) {
  return (
    <Modal
      open
      danger
      size="sm"
      modalHeading="Leave without saving the policy?"
      primaryButtonText="Leave without saving"
      secondaryButtonText="Stay"
      onRequestSubmit={onLeave}
      onRequestClose={onStay}
    >
      <p>
        The retention settings of {namespace} were changed here and not saved. Leaving drops the
        changes; the saved policy stays as it was.
      </p>
    </Modal>
  );
}

/**
 * Unsaved edits are not dropped without asking: leaving the page in the console (a link,
 * the namespace picker, Back) asks first, and so does closing or reloading the tab.
 */
function useConfirmLeaving(dirty: boolean) {
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirty &&
      (currentLocation.pathname !== nextLocation.pathname ||
        currentLocation.search !== nextLocation.search),
  );
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when this is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);
  return blocker;
}

/**
 * The saved policy and the rules to preview share one form, so a change can be previewed
 * before anyone saves it.
 */
export function PolicyForm({
  namespace,
  policy,
  onPreview,
  isPreviewing,
  previewError,
  readOnly,
}: PolicyFormProps) {
  const toasts = useToasts();
  const save = useSaveRetentionPolicy();
  const [values, setValues] = useState<PolicyFormValues>(() => formValuesFrom(policy));
  // Errors show once someone tries to save or preview, not while they are still typing.
  const [errors, setErrors] = useState<PolicyFormErrors>({});
  const dirty = !readOnly && isDirty(values, policy);
  const blocker = useConfirmLeaving(dirty);

  const set = <K extends keyof PolicyFormValues>(key: K, value: PolicyFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    setErrors((current) => ({ ...current, [key]: undefined }));
  };

  const submitSave = () => {
    const found = validatePolicy(values);
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    save.mutate(
      { namespace, body: policyBodyFrom(values) },
      {
        onSuccess: (saved) => {
          setValues(formValuesFrom(saved));
          toasts.show({
            kind: 'success',
            title: `Retention policy of ${namespace} saved`,
            subtitle:
              saved.enabled && saved.nextRunAt
                ? `Next daily run: ${formatUtcWithLocal(saved.nextRunAt)}.`
                : 'Daily runs are off; preview and confirm runs here.',
          });
        },
      },
    );
  };

  const submitPreview = () => {
    const found = validateRules(values);
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    onPreview(rulesFrom(values));
  };

  return (
    <>
      <Form
        className="berth-retention-form"
        aria-label={`Retention policy of ${namespace}`}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!readOnly) submitSave();
        }}
      >
        <div className="berth-retention-form__grid">
          <NumberInput
            id="retention-keep-count"
            readOnly={readOnly}
            label="Images to keep per repository"
            helperText="The most recent by created time, then pushed time. Older ones go to the trash."
            min={0}
            max={MAX_KEEP_COUNT}
            step={1}
            allowEmpty
            value={values.keepCount}
            invalid={errors.keepCount !== undefined}
            invalidText={errors.keepCount}
            onChange={(event, { value }) => {
              // Carbon reports the stepper's number, or the raw text while typing.
              const text =
                event.target instanceof HTMLInputElement ? event.target.value : String(value);
              set('keepCount', text);
            }}
          />
          <div className="berth-retention-form__checkbox">
            <Checkbox
              id="retention-retain-untagged"
              readOnly={readOnly}
              labelText="Keep untagged images"
              helperText="Untagged images are then neither deleted nor counted among the images kept."
              checked={values.retainUntagged}
              onChange={(_event, { checked }) => set('retainUntagged', checked)}
            />
          </div>
          <TextInput
            id="retention-exclude-tags"
            readOnly={readOnly}
            labelText="Protected tags (optional)"
            placeholder="latest, release-*, v?"
            helperText={`${PATTERN_HELP} An image with a matching tag is never deleted.`}
            value={values.excludeTags}
            invalid={errors.excludeTags !== undefined}
            invalidText={errors.excludeTags}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => set('excludeTags', event.target.value)}
          />
          <TextInput
            id="retention-exclude-repositories"
            readOnly={readOnly}
            labelText="Protected repositories (optional)"
            placeholder="base/*, payments"
            helperText={`${PATTERN_HELP} No image of a matching repository is deleted.`}
            value={values.excludeRepositories}
            invalid={errors.excludeRepositories !== undefined}
            invalidText={errors.excludeRepositories}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => set('excludeRepositories', event.target.value)}
          />
        </div>
        <fieldset className="berth-retention-form__scans">
          <legend className="cds--label">Scan protection</legend>
          <Checkbox
            id="retention-protect-unscanned"
            readOnly={readOnly}
            labelText="Protect images not scanned recently"
            helperText="Never deletes an image whose newest successful scan (of every platform, for a multi-platform image) is missing or older than the days below. A failed scan does not count."
            checked={values.protectUnscanned}
            onChange={(_event, { checked }) => set('protectUnscanned', checked)}
          />
          <NumberInput
            id="retention-protect-unscanned-days"
            readOnly={readOnly}
            disabled={!values.protectUnscanned}
            label="Days since the last successful scan"
            // Only while on: a disabled field's helper text is too faint to read (axe).
            helperText={
              values.protectUnscanned
                ? 'A result is renewed when new advisory data is imported, and the day before it expires.'
                : undefined
            }
            min={1}
            max={MAX_PROTECT_UNSCANNED_DAYS}
            step={1}
            allowEmpty
            value={values.protectUnscannedDays}
            invalid={errors.protectUnscannedDays !== undefined}
            invalidText={errors.protectUnscannedDays}
            onChange={(event, { value }) => {
              const text =
                event.target instanceof HTMLInputElement ? event.target.value : String(value);
              set('protectUnscannedDays', text);
            }}
          />
        </fieldset>
        <fieldset className="berth-retention-form__schedule">
          <legend className="cds--label">Schedule</legend>
          <Toggle
            id="retention-enabled"
            readOnly={readOnly}
            labelText="Run daily"
            labelA="Off"
            labelB="On"
            toggled={values.enabled}
            onToggle={(checked) => set('enabled', checked)}
          />
          <TextInput
            id="retention-daily-at"
            readOnly={readOnly}
            labelText="Time of day (UTC)"
            placeholder="03:30"
            helperText={formatDailyUtc(values.dailyAt) ?? 'HH:MM, 24-hour clock, in UTC'}
            value={values.dailyAt}
            invalid={errors.dailyAt !== undefined}
            invalidText={errors.dailyAt}
            autoComplete="off"
            inputMode="numeric"
            maxLength={5}
            onChange={(event) => set('dailyAt', event.target.value)}
          />
        </fieldset>
        <PolicyStatus policy={policy} values={values} />
        {save.error ? <ErrorNotification error={save.error} title="Policy not saved" /> : null}
        {previewError ? <ErrorNotification error={previewError} title="Preview failed" /> : null}
        {readOnly ? (
          <p className="berth-muted">
            Only a manager of {namespace} can change or preview its retention.
          </p>
        ) : (
          <div className="berth-retention-form__actions">
            <Button
              type="button"
              kind="primary"
              renderIcon={View}
              disabled={isPreviewing}
              onClick={submitPreview}
            >
              {isPreviewing ? 'Previewing…' : 'Preview'}
            </Button>
            <Button type="submit" kind="secondary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save policy'}
            </Button>
            {dirty ? <span className="berth-muted">Unsaved changes</span> : null}
          </div>
        )}
      </Form>
      {/* Beside the form, not in it: a dialog is no part of the form or of its submit. */}
      {blocker.state === 'blocked' ? (
        <LeaveUnsavedModal
          namespace={namespace}
          onLeave={() => blocker.proceed()}
          onStay={() => blocker.reset()}
        />
      ) : null}
    </>
  );
}
