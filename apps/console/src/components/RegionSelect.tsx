import { Select, SelectItem } from '@carbon/react';
import { useRegion } from '../app/RegionProvider';

interface RegionSelectProps {
  id: string;
  helperText?: string;
  value: string;
  error: string | undefined;
  onChange: (region: string) => void;
}

/** Where a new namespace or project lives: one of the regions this server knows. */
export function RegionSelect({ id, helperText, value, error, onChange }: RegionSelectProps) {
  const { regions } = useRegion();
  return (
    <Select
      id={id}
      labelText="Region"
      helperText={helperText}
      value={value}
      invalid={error !== undefined}
      invalidText={error}
      onChange={(event) => onChange(event.target.value)}
    >
      {regions.map((r) => (
        <SelectItem key={r.name} value={r.name} text={r.name} />
      ))}
    </Select>
  );
}
